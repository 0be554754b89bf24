import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDto } from '../errors/problem.dto.js';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Mentor Status & Visibility Service')
    .setDescription(
      [
        'Who is active, who is paused, who is hidden, and why.',
        '',
        '- JSON fields are snake_case; timestamps are ISO 8601 UTC strings ending in `Z`; absent optional values are `null`.',
        '- Lists take `?page=` (from 1) and `?limit=` (1-100, default 20) and answer `{ data, pagination: { page, limit, total } }`.',
        '- Every 4xx/5xx answer is `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail`, `instance`, and `errors: [{ field, message }]` on validation failures.',
        '- Unknown body and query properties are rejected with 400 rather than ignored.',
        '- Paths exactly as printed in the contracts (base + path, e.g. `/api/v1/mentor-statuses/api/v1/mentor-statuses`) are accepted too and served by the same operations; only the canonical paths are listed here.',
      ].join('\n'),
    )
    .setVersion('1.0.0')
    .build();
  return SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto] });
}

export function setupSwagger(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
