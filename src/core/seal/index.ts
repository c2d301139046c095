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
export { RekeyManager, type RekeyParams, type RekeyStatus, type RekeyVerificationStatus, type RekeyResult } from "./rekey.js";
export {
  RootGenerationManager,
  type RootTokenIssuer,
  type GenerateRootStatus,
  type GenerateRootProgress,
  ROOT_TOKEN_OTP_LENGTH,
  encodeToken,
  decodeToken,
} from "./generate-root.js";
