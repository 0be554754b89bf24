// class-transformer declares its metadata storage under types/, and ships it under cjs/.
declare module 'class-transformer/cjs/storage.js' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage.js';
}
