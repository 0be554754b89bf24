import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import { TransformationType } from 'class-transformer';
import { getMetadataStorage, ValidationArguments, ValidationTypes } from 'class-validator';

type Metatype = abstract new (...args: never[]) => unknown;
type Condition = (object: object, value: unknown) => boolean;
type Transform = (value: unknown, key: string, given: Record<string, unknown>) => unknown;

interface Check {
  validate: (value: unknown, args: ValidationArguments) => unknown;
  constraints: unknown[];
  /** `each`: an array's items are checked one by one (anything else as a whole, as class-validator does). */
  each: boolean;
}

interface Property {
  name: string;
  required: boolean;
  conditions: Condition[];
  checks: Check[];
  transforms: Transform[];
}

/** The DTO from path or query parameters that pass every check; undefined when one fails, for class-validator to say why. */
export type CompiledInput = (given: Record<string, unknown>) => Record<string, unknown> | undefined;

/**
 * The checks class-validator runs on a DTO, read from its decorators once and run without its
 * executor, class-transformer or a class instance: for the path and query parameters of a GET,
 * which are strings checked by a few synchronous rules, that machinery is most of what validating
 * them costs. It only accepts: input that fails any check goes through class-validator itself,
 * which gives the errors (so every message stays its). A DTO that uses anything beyond plain
 * synchronous rules, `each` over arrays, @Transform and initialised defaults (nesting, groups, async rules,
 * @Type, @Expose, @Exclude, methods) gets no compiled form.
 */
export function compileInput(metatype: Metatype): CompiledInput | undefined {
  for (
    let prototype = metatype.prototype as object | null;
    prototype && prototype !== Object.prototype;
    prototype = Object.getPrototypeOf(prototype) as object | null
  ) {
    if (Object.getOwnPropertyNames(prototype).some((name) => name !== 'constructor')) return undefined;
  }
  if (defaultMetadataStorage.getExposedMetadatas(metatype).length > 0 || defaultMetadataStorage.getExcludedMetadatas(metatype).length > 0) return undefined;
  const validations = getMetadataStorage().getTargetValidationMetadatas(metatype, '', false, false);
  if (validations.length === 0) return undefined;
  const properties = new Map<string, Property>();
  for (const metadata of validations) {
    if ((metadata.groups?.length ?? 0) > 0 || metadata.always) return undefined;
    let property = properties.get(metadata.propertyName);
    if (!property) {
      const name = metadata.propertyName;
      if (defaultMetadataStorage.findTypeMetadata(metatype, name)) return undefined;
      const transforms = defaultMetadataStorage.findTransformMetadatas(metatype, name, TransformationType.PLAIN_TO_CLASS).map(
        ({ transformFn }): Transform =>
          (value, key, given) =>
            transformFn({ value, key, obj: given, type: TransformationType.PLAIN_TO_CLASS, options: {} }) as unknown,
      );
      property = { name, required: false, conditions: [], checks: [], transforms };
      properties.set(name, property);
    }
    switch (metadata.type) {
      case ValidationTypes.CONDITIONAL_VALIDATION:
        property.conditions.push(metadata.constraints[0] as Condition);
        break;
      case ValidationTypes.IS_DEFINED:
        property.required = true;
        break;
      case ValidationTypes.WHITELIST:
        break;
      case ValidationTypes.CUSTOM_VALIDATION: {
        const constraints = getMetadataStorage().getTargetValidatorConstraints(metadata.constraintCls);
        if (constraints.length !== 1 || constraints[0].async) return undefined;
        const { instance } = constraints[0] as unknown as { instance: Check };
        property.checks.push({
          validate: (value, args) => instance.validate(value, args),
          constraints: metadata.constraints as unknown[],
          each: metadata.each === true,
        });
        break;
      }
      default:
        return undefined;
    }
  }
  // The defaults the class's initialisers give, once: only plain values, which every DTO may share.
  const defaults = Reflect.construct(metatype, []) as Record<string, unknown>;
  if (Object.values(defaults).some((value) => value !== null && typeof value === 'object')) return undefined;
  const targetName = metatype.name;
  const checked = [...properties.values()];
  return (given) => {
    const dto: Record<string, unknown> = { ...defaults };
    for (const key in given) {
      const value = given[key];
      if (typeof value !== 'string') return undefined;
      const property = properties.get(key);
      dto[key] = property ? property.transforms.reduce<unknown>((current, transform) => transform(current, key, given), value) : value;
    }
    for (const { name, required, conditions, checks } of checked) {
      const value = dto[name];
      if (required && (value === undefined || value === null)) return undefined;
      if (!conditions.every((condition) => condition(dto, value))) continue;
      for (const { validate, constraints, each } of checks) {
        const args = { targetName, property: name, object: dto, value, constraints };
        const passes = each && Array.isArray(value) ? value.every((item) => validate(item, args)) : validate(value, args);
        if (!passes) return undefined;
      }
    }
    return dto;
  };
}
