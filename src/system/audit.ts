import type { Core } from "../core/core.js";
import { badRequest } from "../framework/errors.js";
import { definePath, type PathDef } from "../framework/types.js";

const DEVICE_HELP = `Enable or disable an audit device at a path.

Vault's three types are served: file, socket and syslog. A syslog device sends each
entry to the local syslog daemon with facility (default AUTH) and tag (default "vault"),
priority info; it is refused when no local syslog socket exists. A socket
device sends each entry as a line to address (host:port, or a path for unix) over
socket_type tcp (the default), udp or unix, giving up on a write after write_timeout
(default 2s); it connects on first use and again after a failure. A file device's
options: file_path (required) is a file to append to, "stdout", or "discard"; mode is
the file's octal permissions (default "0600"; "0000" leaves an existing file's alone);
format is "json" (the default) or "jsonx"; prefix is written before each entry;
log_raw=true writes values in clear instead of HMAC'd; hmac_accessor=false writes token
accessors in clear; elide_list_responses=true replaces the keys of list answers by their
count. A file that cannot be opened is refused with 400, and two device paths may not
overlap. Each device gets its own HMAC key. On SIGHUP every file is reopened, for log
rotation.

Once a device is enabled, a request that no device can record is refused. Disabling a
path with no device succeeds. There is no read here: sys/audit lists the devices. Needs
sudo.`;

export function auditPaths(core: Core): PathDef[] {
  return [
    definePath({
      pattern: "audit",
      help: `List the enabled audit devices, keyed by path.

Each entry holds the device's type, description, options, local flag and path. Needs
sudo.`,
      operations: { read: async () => ({ data: { ...core.audit.list() }, injectDataAtTop: true }) },
    }),
    definePath({
      pattern: "audit/*path",
      fields: {
        path: { type: "string", required: true, description: "Where the device is enabled, e.g. file/; it names the device in listings." },
        type: { type: "string", description: 'The device type: "file" or "socket".' },
        description: { type: "string", description: "Free text shown in sys/audit." },
        options: {
          type: "string-map",
          description: "Device options as string pairs: file_path and mode (file), address, socket_type and write_timeout (socket), and for both format, prefix, log_raw, hmac_accessor, elide_list_responses.",
        },
        local: { type: "bool", description: "Stored and shown; Mayfly has no replication, so every device is local." },
      },
      help: DEVICE_HELP,
      operations: {
        update: async (_req, f) => {
          if (f.values.type === "") throw badRequest("audit type must be specified");
          await core.audit.enable(f.values.path, {
            type: f.values.type,
            description: f.values.description,
            local: f.values.local,
            options: f.values.options,
          });
          return undefined;
        },
        delete: async (_req, f) => {
          await core.audit.disable(f.values.path);
          return undefined;
        },
      },
    }),
    definePath({
      pattern: "audit-hash/*path",
      fields: {
        path: { type: "string", required: true, description: "Path of the audit device whose HMAC key to use." },
        input: { type: "string", description: "The value to hash, as it appears in a request or response." },
      },
      help: `Hash a value as an audit device writes it, to find it in that device's log.

The answer is hash: "hmac-sha256:" and the hex HMAC-SHA256 of input under the device's
key. Devices have different keys, so the same value hashes differently in each. An
unknown device path answers 400.`,
      operations: {
        update: async (_req, f) => ({ data: { hash: core.audit.hash(f.values.path, f.values.input) }, injectDataAtTop: true }),
      },
    }),
  ];
}
