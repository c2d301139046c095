export {
  SealManager,
  type SealConfig,
  type SealStatus,
  type SealHook,
  type InitParams,
  SEAL_CONFIG_PATH,
  MIN_UNSEAL_KEY_BYTES,
  MAX_UNSEAL_KEY_BYTES,
  decodeUnsealKey,
  validateSealConfig,
} from "./seal.js";
export { split, combine } from "./shamir.js";
