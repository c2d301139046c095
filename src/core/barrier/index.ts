export {
  Barrier,
  type BarrierOptions,
  type KeyStatus,
  KEYRING_PATH,
  ROOT_KEY_BYTES,
  ROTATION_ENCRYPTIONS,
} from "./barrier.js";
export { DecryptError } from "./aead.js";
