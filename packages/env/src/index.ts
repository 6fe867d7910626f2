export { EnvValueError } from './errors.ts';
export { isBooleanWord, parseBoolean, parseInteger, parseList, type IntegerBounds } from './parse.ts';
export { readVariable, type Env, type EnvValue } from './read.ts';
