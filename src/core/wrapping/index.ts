export { rfc3339Nano, wrapInfoJson } from "./format.js";
export { requestedWrapTtlSeconds } from "./wrap-ttl.js";
export {
  checkWrappingToken,
  consumeWrapped,
  createWrappingToken,
  invalidWrappingToken,
  isWrappingToken,
  readWrapInfo,
  WRAPPING_TOKEN_PATHS,
  type StoredWrapInfo,
  type Wrapped,
  type WrapSpec,
} from "./store.js";
export { isWrappable, wrapResponse, type WrapParams } from "./wrap.js";
