export {
  DEFAULT_GENERATION_TIMEOUT_MS,
  DEFAULT_PASSWORD_POLICY,
  generateDefaultPassword,
  generatePassword,
} from "./generate.js";
export {
  MAX_CHARSET_SIZE,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  parsePasswordPolicy,
  validatePasswordPolicy,
  type CharsetRule,
  type PasswordPolicy,
} from "./parse.js";
