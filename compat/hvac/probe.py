#!/usr/bin/env python3
"""Drive a running Mayfly (or Vault) with hvac, the Python client, as Python code uses it.

Reads VAULT_ADDR and VAULT_TOKEN (a root token), creates everything under names of its
own, checks every answer, and exits 1 naming each section whose first check failed.
Written against hvac 0.11.2 (Debian's python3-hvac), whose API differs from hvac 1.x and
2.x in places (kv v2 `read_secret_version` has no `raise_on_deleted_version`, userpass
`create_or_update_user` takes `policies`).

Optional: COMPAT_DB_CREDS_PATH (e.g. "database/creds/ro") names a role whose credentials
carry a lease; client.sys lease calls then run on it. COMPAT_UNINIT_ADDR names a second,
uninitialised server to initialise, unseal and seal. COMPAT_PG_URL (templated), COMPAT_PG_USER,
COMPAT_PG_PASSWORD and COMPAT_PG_STATIC_USER let client.secrets.database configure a
database mount of its own. COMPAT_ONLY limits the sections run.
"""

import json
import os
import secrets
import sys
import warnings

import hvac
from hvac import exceptions

# hvac forces its DeprecationWarnings on for the legacy Client methods probed here on
# purpose (code written for older hvac still calls them); keep stderr for failures.
warnings.showwarning = lambda *args, **kwargs: None

ADDR = os.environ.get("VAULT_ADDR", "")
ROOT_TOKEN = os.environ.get("VAULT_TOKEN", "")
SUFFIX = secrets.token_hex(4)


class CheckFailed(Exception):
    pass


class Probe:
    def __init__(self):
        self.checks = 0

    def expect(self, cond, message, *args):
        self.checks += 1
        if not cond:
            raise CheckFailed(message % args if args else message)

    def raises(self, what, exc_type, fn, *args, **kwargs):
        """Calls fn and checks that it raises exc_type; returns the exception."""
        self.checks += 1
        try:
            result = fn(*args, **kwargs)
        except exc_type as e:
            return e
        except Exception as e:  # noqa: BLE001 - the probe reports any other failure
            raise CheckFailed("%s: raised %s (%s), want %s" % (what, type(e).__name__, e, exc_type.__name__))
        raise CheckFailed("%s: returned %r, want %s" % (what, result, exc_type.__name__))


def client(token=""):
    # hvac falls back to VAULT_TOKEN or ~/.vault-token for token=None; "" means none.
    return hvac.Client(url=ADDR, token=token)


def status_of(resp):
    """hvac hands back a dict for 200 and the requests.Response otherwise."""
    return 200 if isinstance(resp, dict) else resp.status_code


def check_sys_health(p, root):
    health = root.sys.read_health_status(method="GET")
    p.expect(isinstance(health, dict), "read_health_status GET: %r, want the JSON dict", health)
    p.expect(health["initialized"] and not health["sealed"] and not health["standby"], "health: %r", health)
    p.expect(isinstance(health["server_time_utc"], int) and health["version"], "health fields: %r", health)
    head = root.sys.read_health_status()  # HEAD, hvac's default
    p.expect(status_of(head) == 200 and not head.content, "HEAD sys/health: %s %r", status_of(head), getattr(head, "content", b""))
    p.expect(root.sys.is_initialized() is True, "is_initialized false")
    p.expect(root.sys.is_sealed() is False, "is_sealed true")
    seal = root.sys.read_seal_status()
    p.expect(seal["type"] == "shamir" and seal["t"] >= 1 and seal["n"] >= seal["t"], "seal status %r", seal)
    p.expect(root.seal_status["sealed"] is False, "client.seal_status: %r", root.seal_status)
    leader = root.sys.read_leader_status()
    p.expect("ha_enabled" in leader and "is_self" in leader, "leader: %r", leader)
    keys = root.sys.get_encryption_key_status()
    p.expect(keys["data"]["term"] >= 1 and keys["term"] >= 1, "key-status: %r", keys)
    p.expect(root.key_status["term"] >= 1, "client.key_status: %r", root.key_status)
    init = root.sys.read_init_status()
    p.expect(init["initialized"] is True, "init status %r", init)


def check_sys_mounts(p, root):
    mounts = root.sys.list_mounted_secrets_engines()
    p.expect("secret/" in mounts["data"] and "secret/" in mounts, "sys/mounts: secret/ missing at top level or in data")
    p.expect(mounts["data"]["secret/"]["options"]["version"] == "2", "secret/ options %r", mounts["data"]["secret/"]["options"])
    p.expect(root.sys.retrieve_mount_option("secret", "version") == "2", "retrieve_mount_option version")
    p.expect(root.sys.retrieve_mount_option("secret", "nonexistent", "dflt") == "dflt", "retrieve_mount_option default")

    path = "py-kv-" + SUFFIX
    resp = root.sys.enable_secrets_engine("kv", path=path, description="py probe", options={"version": "1"}, config={"default_lease_ttl": "1h"})
    p.expect(status_of(resp) == 204, "enable_secrets_engine: %s", status_of(resp))
    cfg = root.sys.read_mount_configuration(path)
    p.expect(cfg["data"]["default_lease_ttl"] == 3600 and cfg["default_lease_ttl"] == 3600, "read_mount_configuration %r", cfg)
    resp = root.sys.tune_mount_configuration(path, default_lease_ttl="30m", max_lease_ttl="2h", description="tuned")
    p.expect(status_of(resp) == 204, "tune_mount_configuration: %s", status_of(resp))
    cfg = root.sys.read_mount_configuration(path)
    p.expect(cfg["data"]["default_lease_ttl"] == 1800 and cfg["data"]["max_lease_ttl"] == 7200, "tuned config %r", cfg["data"])
    p.expect(cfg["data"]["description"] == "tuned", "tuned description %r", cfg["data"])

    root.write(path + "/k", v="1")
    moved = path + "-moved"
    resp = root.sys.move_backend(path, moved)
    p.expect(status_of(resp) in (200, 204), "move_backend: %s", status_of(resp))
    p.expect(root.read(moved + "/k")["data"] == {"v": "1"}, "read after move")
    resp = root.sys.disable_secrets_engine(moved)
    p.expect(status_of(resp) == 204, "disable_secrets_engine: %s", status_of(resp))
    p.expect(moved + "/" not in root.sys.list_mounted_secrets_engines()["data"], "mount still listed after disable")

    e = p.raises("enable on a taken path", exceptions.InvalidRequest, root.sys.enable_secrets_engine, "kv", path="secret")
    p.expect(e.errors and "path is already in use" in e.errors[0], "taken path errors %r", e.errors)


def check_sys_auth(p, root):
    methods = root.sys.list_auth_methods()
    p.expect(methods["data"]["token/"]["type"] == "token" and "token/" in methods, "list_auth_methods: %r", list(methods["data"]))
    path = "py-up-" + SUFFIX
    resp = root.sys.enable_auth_method("userpass", path=path, description="py users")
    p.expect(status_of(resp) == 204, "enable_auth_method: %s", status_of(resp))
    listed = root.sys.list_auth_methods()["data"][path + "/"]
    p.expect(listed["type"] == "userpass" and listed["description"] == "py users", "listed auth %r", listed)
    resp = root.sys.tune_auth_method(path, default_lease_ttl="20m", max_lease_ttl="1h")
    p.expect(status_of(resp) == 204, "tune_auth_method: %s", status_of(resp))
    tuning = root.sys.read_auth_method_tuning(path)
    p.expect(tuning["data"]["default_lease_ttl"] == 1200 and tuning["data"]["max_lease_ttl"] == 3600, "auth tuning %r", tuning["data"])
    p.expect(tuning["data"]["token_type"] == "default-service", "auth tuning token_type %r", tuning["data"])
    resp = root.sys.disable_auth_method(path)
    p.expect(status_of(resp) == 204, "disable_auth_method: %s", status_of(resp))
    p.expect(path + "/" not in root.sys.list_auth_methods()["data"], "auth still listed after disable")


def check_sys_policies(p, root):
    name = "py-pol-" + SUFFIX
    hcl = 'path "secret/data/py/*" {\n  capabilities = ["read", "list"]\n}\n'
    resp = root.sys.create_or_update_policy(name, hcl)
    p.expect(status_of(resp) == 204, "create_or_update_policy: %s", status_of(resp))
    listed = root.sys.list_policies()
    p.expect(name in listed["data"]["policies"] and name in listed["policies"] and "root" in listed["data"]["keys"], "list_policies %r", listed["data"])
    read = root.sys.read_policy(name)
    p.expect(read["data"]["rules"] == hcl and read["rules"] == hcl and read["data"]["name"] == name, "read_policy %r", read["data"])
    p.expect(root.get_policy(name) == hcl, "client.get_policy")
    p.expect(root.get_policy("py-missing-" + SUFFIX) is None, "get_policy of a missing policy")

    # hvac turns a dict into JSON policy text; Vault accepts JSON policies.
    as_json = {"path": {"secret/data/pyjson/*": {"capabilities": ["read"]}}}
    resp = root.sys.create_or_update_policy(name + "-json", as_json)
    p.expect(status_of(resp) == 204, "JSON policy: %s", status_of(resp))
    p.expect(json.loads(root.get_policy(name + "-json")) == as_json, "JSON policy read back")

    p.raises("malformed policy", exceptions.InvalidRequest, root.sys.create_or_update_policy, name + "-bad", 'path "x" { capabilities = ["read" }')
    for n in (name, name + "-json"):
        resp = root.sys.delete_policy(n)
        p.expect(status_of(resp) == 204, "delete_policy: %s", status_of(resp))
    p.raises("read_policy after delete", exceptions.InvalidPath, root.sys.read_policy, name)


def check_sys_audit(p, root):
    path = "py-audit-" + SUFFIX
    resp = root.sys.enable_audit_device("file", path=path, options={"file_path": "discard"})
    p.expect(status_of(resp) == 204, "enable_audit_device: %s", status_of(resp))
    devices = root.sys.list_enabled_audit_devices()
    dev = devices["data"][path + "/"]
    p.expect(dev["type"] == "file" and dev["options"]["file_path"] == "discard" and path + "/" in devices, "audit device %r", dev)
    hashed = root.sys.calculate_hash(path, "value")
    p.expect(hashed["data"]["hash"].startswith("hmac-sha256:"), "calculate_hash %r", hashed)
    resp = root.sys.disable_audit_device(path)
    p.expect(status_of(resp) == 204, "disable_audit_device: %s", status_of(resp))


def check_sys_capabilities(p, root):
    name = "py-cap-" + SUFFIX
    root.sys.create_or_update_policy(name, 'path "secret/data/cap/*" { capabilities = ["read", "update"] }')
    tok = root.auth.token.create(policies=[name], ttl="10m")["auth"]
    both = ["secret/data/cap/a", "secret/data/other"]
    caps = root.sys.get_capabilities(both, token=tok["client_token"])
    p.expect(sorted(caps["data"]["secret/data/cap/a"]) == ["read", "update"] and caps["data"]["secret/data/other"] == ["deny"], "capabilities %r", caps["data"])
    # Vault adds the old "capabilities" key only when one path was asked about.
    p.expect("capabilities" not in caps["data"], "capabilities key for two paths %r", caps["data"])
    one = root.sys.get_capabilities(["secret/data/cap/a"], token=tok["client_token"])
    p.expect(sorted(one["data"]["capabilities"]) == ["read", "update"], "single-path capabilities %r", one["data"])
    caps = root.sys.get_capabilities(both, accessor=tok["accessor"])
    p.expect(sorted(caps["data"]["secret/data/cap/a"]) == ["read", "update"], "capabilities-accessor %r", caps["data"])
    caps = client(tok["client_token"]).sys.get_capabilities(both)
    p.expect(sorted(caps["secret/data/cap/a"]) == ["read", "update"], "capabilities-self (top level) %r", caps)
    root.sys.delete_policy(name)


def check_tokens(p, root):
    t = root.auth.token
    pol = "py-tok-" + SUFFIX
    root.sys.create_or_update_policy(pol, 'path "secret/*" { capabilities = ["read"] }\npath "auth/token/create" { capabilities = ["update"] }')
    created = t.create(policies=[pol], meta={"app": "py"}, ttl="1h", display_name="py")
    a = created["auth"]
    p.expect(sorted(a["policies"]) == sorted(["default", pol]) and a["lease_duration"] == 3600 and a["renewable"], "create auth %r", a)
    p.expect(a["metadata"] == {"app": "py"} and a["orphan"] is False and a["token_type"] == "service", "create auth %r", a)
    p.expect(created["data"] is None and created["lease_id"] == "" and created["warnings"] is None, "create envelope %r", created)

    look = t.lookup(a["client_token"])["data"]
    p.expect(look["id"] == a["client_token"] and look["display_name"] == "token-py" and look["meta"] == {"app": "py"}, "lookup %r", look)
    p.expect(isinstance(look["creation_time"], int) and 3500 < look["ttl"] <= 3600 and look["expire_time"], "lookup times %r", look)
    p.expect(root.lookup_token(a["client_token"])["data"]["id"] == a["client_token"], "client.lookup_token")
    acc = t.lookup_accessor(a["accessor"])["data"]
    p.expect(acc["accessor"] == a["accessor"] and acc["id"] == "", "lookup_accessor %r", acc)

    me = client(a["client_token"])
    p.expect(me.is_authenticated() is True, "is_authenticated for a live token")
    p.expect(client("hvs.not-a-token").is_authenticated() is False, "is_authenticated for a bad token")
    self_ = me.auth.token.lookup_self()["data"]
    p.expect(self_["id"] == a["client_token"] and "last_renewal_time" not in self_, "lookup_self %r", self_)

    renewed = me.auth.token.renew_self()["auth"]
    p.expect(renewed["client_token"] == a["client_token"] and renewed["lease_duration"] == 3600, "renew_self %r", renewed)
    renewed = t.renew(a["client_token"], increment="2h")["auth"]
    p.expect(renewed["lease_duration"] == 7200, "renew with '2h' %r", renewed)
    renewed = t.renew_accessor(a["accessor"], increment=1800)["auth"]
    p.expect(renewed["lease_duration"] == 1800, "renew_accessor %r", renewed)
    renewed = me.renew_self_token(increment=600)["auth"]
    p.expect(renewed["lease_duration"] == 600, "client.renew_self_token %r", renewed)
    p.expect("last_renewal_time" in me.auth.token.lookup_self()["data"], "no last_renewal_time after renewals")

    accessors = t.list_accessors()
    p.expect(a["accessor"] in accessors["data"]["keys"], "list_accessors lacks the new accessor")

    # Roles.
    role = "py-role-" + SUFFIX
    resp = t.create_or_update_role(role, allowed_policies=[pol], orphan=True, renewable=True)
    p.expect(status_of(resp) == 204, "create_or_update_role: %s", status_of(resp))
    p.expect(t.read_role(role)["data"]["allowed_policies"] == [pol], "read_role %r", t.read_role(role)["data"])
    p.expect(role in t.list_roles()["data"]["keys"], "list_roles")
    by_role = t.create(role_name=role, policies=[pol])["auth"]
    p.expect(by_role["orphan"] is True and pol in by_role["policies"], "create with role %r", by_role)
    p.expect(t.lookup(by_role["client_token"])["data"]["role"] == role, "role in lookup")
    resp = t.delete_role(role)
    p.expect(status_of(resp) == 204, "delete_role: %s", status_of(resp))

    # Revocation flavours.
    kid = me.auth.token.create(policies=[pol], ttl="10m")["auth"]
    resp = t.revoke_and_orphan_children(a["client_token"])
    p.expect(status_of(resp) == 204, "revoke_and_orphan_children: %s", status_of(resp))
    p.expect(t.lookup(kid["client_token"])["data"]["orphan"] is True, "child not orphaned")
    p.raises("lookup of a revoked token", exceptions.Forbidden, t.lookup, a["client_token"])
    resp = t.revoke_accessor(kid["accessor"])
    p.expect(status_of(resp) == 204, "revoke_accessor: %s", status_of(resp))
    other = t.create(ttl="10m")["auth"]
    resp = t.revoke(other["client_token"])
    p.expect(status_of(resp) == 204, "revoke: %s", status_of(resp))
    last = t.create(ttl="10m")["auth"]
    lc = client(last["client_token"])
    resp = lc.auth.token.revoke_self()
    p.expect(status_of(resp) == 204, "revoke_self: %s", status_of(resp))
    p.expect(lc.is_authenticated() is False, "is_authenticated after revoke_self")
    resp = t.tidy()
    p.expect(status_of(resp) in (200, 202, 204), "tidy: %s", status_of(resp))
    root.sys.delete_policy(pol)


def check_generic(p, root):
    base = "secret/data/py-generic-" + SUFFIX
    w = root.write(base + "/a", data={"k": "v"})
    p.expect(w["data"]["version"] == 1, "write kv v2 %r", w)
    p.expect(root.read(base + "/a")["data"]["data"] == {"k": "v"}, "read kv v2")
    p.expect(root.read("secret/data/py-missing-" + SUFFIX) is None, "read of a missing key is not None")
    p.expect(root.list("secret/metadata/py-missing-" + SUFFIX) is None, "list of a missing folder is not None")
    listed = root.list("secret/metadata/py-generic-" + SUFFIX)
    p.expect(listed["data"]["keys"] == ["a"], "list %r", listed)
    p.expect(root.delete(base + "/a") is None, "delete returns None")
    random = root.write("sys/tools/random/8", format="hex")
    p.expect(len(random["data"]["random_bytes"]) == 16, "sys/tools/random %r", random)
    root.write("cubbyhole/py", v="1")
    p.expect(root.read("cubbyhole/py")["data"] == {"v": "1"}, "cubbyhole")


def check_kv_v2(p, root):
    kv = root.secrets.kv.v2
    path = "py-kv2-" + SUFFIX + "/app"
    cfg = kv.read_configuration()
    p.expect("max_versions" in cfg["data"] and "cas_required" in cfg["data"], "kv v2 config %r", cfg["data"])

    # Mount-wide settings on a kv v2 mount of its own (hvac always sends all three).
    own = "py-kv2cfg-" + SUFFIX
    root.sys.enable_secrets_engine("kv", path=own, options={"version": "2"})
    resp = kv.configure(max_versions=2, cas_required=True, delete_version_after="3h", mount_point=own)
    p.expect(status_of(resp) == 204, "kv v2 configure: %s", status_of(resp))
    cfg = kv.read_configuration(mount_point=own)["data"]
    p.expect(cfg == {"max_versions": 2, "cas_required": True, "delete_version_after": "3h0m0s"}, "kv v2 config after configure %r", cfg)
    p.raises("write without cas where the mount requires it", exceptions.InvalidRequest, kv.create_or_update_secret, "k", secret={"a": "1"}, mount_point=own)
    for version in range(3):
        kv.create_or_update_secret("k", secret={"n": str(version)}, cas=version, mount_point=own)
    meta = kv.read_secret_metadata("k", mount_point=own)["data"]
    p.expect(sorted(meta["versions"]) == ["2", "3"] and meta["oldest_version"] == 2, "max_versions trims: %r", meta)
    root.sys.disable_secrets_engine(own)

    w = kv.create_or_update_secret(path, secret={"password": "one"})
    p.expect(w["data"]["version"] == 1 and w["data"]["deletion_time"] == "" and w["data"]["destroyed"] is False, "create %r", w["data"])
    w = kv.create_or_update_secret(path, secret={"password": "two", "user": "bob"}, cas=1)
    p.expect(w["data"]["version"] == 2, "create with cas %r", w["data"])
    e = p.raises("stale cas", exceptions.InvalidRequest, kv.create_or_update_secret, path, secret={"x": "y"}, cas=1)
    p.expect(any("check-and-set parameter did not match the current version" in x for x in e.errors), "stale cas errors %r", e.errors)

    r = kv.read_secret_version(path)
    p.expect(r["data"]["data"] == {"password": "two", "user": "bob"} and r["data"]["metadata"]["version"] == 2, "read %r", r["data"])
    p.expect(kv.read_secret_version(path, version=1)["data"]["data"] == {"password": "one"}, "read version 1")
    w = kv.patch(path, {"user": "carol"})
    p.expect(w["data"]["version"] == 3, "patch %r", w["data"])
    p.expect(kv.read_secret(path)["data"]["data"] == {"password": "two", "user": "carol"}, "read after patch")

    resp = kv.update_metadata(path, max_versions=5, cas_required=False, delete_version_after="2h")
    p.expect(status_of(resp) == 204, "update_metadata: %s", status_of(resp))
    meta = kv.read_secret_metadata(path)["data"]
    p.expect(meta["max_versions"] == 5 and meta["current_version"] == 3 and meta["delete_version_after"] == "2h0m0s", "metadata %r", meta)
    p.expect(sorted(meta["versions"]) == ["1", "2", "3"], "metadata versions %r", sorted(meta["versions"]))

    listed = kv.list_secrets("py-kv2-" + SUFFIX)
    p.expect(listed["data"]["keys"] == ["app"], "list_secrets %r", listed["data"])
    p.raises("list of a missing folder", exceptions.InvalidPath, kv.list_secrets, "py-nothing-" + SUFFIX)

    resp = kv.delete_latest_version_of_secret(path)
    p.expect(status_of(resp) == 204, "delete_latest_version_of_secret: %s", status_of(resp))
    # hvac 0.11.2 raises InvalidPath for a deleted version (Vault answers 404 with metadata).
    p.raises("read of a deleted version", exceptions.InvalidPath, kv.read_secret_version, path)
    resp = kv.undelete_secret_versions(path, versions=[3])
    p.expect(status_of(resp) == 204, "undelete: %s", status_of(resp))
    p.expect(kv.read_secret_version(path)["data"]["data"]["user"] == "carol", "read after undelete")
    resp = kv.delete_secret_versions(path, versions=[1])
    p.expect(status_of(resp) == 204, "delete_secret_versions: %s", status_of(resp))
    resp = kv.destroy_secret_versions(path, versions=[2])
    p.expect(status_of(resp) == 204, "destroy_secret_versions: %s", status_of(resp))
    versions = kv.read_secret_metadata(path)["data"]["versions"]
    p.expect(versions["1"]["deletion_time"] != "" and versions["2"]["destroyed"] is True, "versions after delete/destroy %r", versions)
    resp = kv.delete_metadata_and_all_versions(path)
    p.expect(status_of(resp) == 204, "delete_metadata_and_all_versions: %s", status_of(resp))
    p.raises("read after metadata delete", exceptions.InvalidPath, kv.read_secret_version, path)


def check_kv_v1(p, root):
    mount = "py-v1-" + SUFFIX
    root.sys.enable_secrets_engine("kv", path=mount, options={"version": "1"})
    kv = root.secrets.kv.v1
    resp = kv.create_or_update_secret("app/db", secret={"user": "u", "port": 5432}, mount_point=mount)
    p.expect(status_of(resp) == 204, "kv v1 create: %s", status_of(resp))
    resp = kv.create_or_update_secret("app/db", secret={"user": "u2"}, mount_point=mount)  # PUT this time
    p.expect(status_of(resp) == 204, "kv v1 update: %s", status_of(resp))
    r = kv.read_secret("app/db", mount_point=mount)
    p.expect(r["data"] == {"user": "u2"}, "kv v1 read %r", r["data"])
    p.expect(kv.list_secrets("app", mount_point=mount)["data"]["keys"] == ["db"], "kv v1 list")
    # The generic kv facade dispatches on the version it is told.
    root.secrets.kv.default_kv_version = 1
    p.expect(root.secrets.kv.read_secret("app/db", mount_point=mount)["data"] == {"user": "u2"}, "secrets.kv.read_secret (v1)")
    root.secrets.kv.default_kv_version = 2
    resp = kv.delete_secret("app/db", mount_point=mount)
    p.expect(status_of(resp) == 204, "kv v1 delete: %s", status_of(resp))
    p.raises("kv v1 read after delete", exceptions.InvalidPath, kv.read_secret, "app/db", mount_point=mount)
    root.sys.disable_secrets_engine(mount)


def check_userpass(p, root):
    mount = "py-userpass-" + SUFFIX
    root.sys.enable_auth_method("userpass", path=mount)
    pol = "py-up-" + SUFFIX
    root.sys.create_or_update_policy(pol, 'path "secret/data/up/*" { capabilities = ["create", "update", "read"] }')
    up = root.auth.userpass
    resp = up.create_or_update_user("alice", password="pw-one", policies=[pol], mount_point=mount, token_ttl="20m")
    p.expect(status_of(resp) == 204, "create_or_update_user: %s", status_of(resp))
    user = up.read_user("alice", mount_point=mount)["data"]
    p.expect(user["token_policies"] == [pol] and user["token_ttl"] == 1200 and "password" not in user, "read_user %r", user)
    p.expect(up.list_user(mount_point=mount)["data"]["keys"] == ["alice"], "list_user")

    c = client()
    login = c.auth.userpass.login("alice", "pw-one", mount_point=mount)
    a = login["auth"]
    p.expect(c.token == a["client_token"], "login did not adopt the token")
    p.expect(sorted(a["policies"]) == sorted(["default", pol]) and a["metadata"] == {"username": "alice"} and a["lease_duration"] == 1200, "login auth %r", a)
    p.expect(c.is_authenticated(), "is_authenticated after login")
    w = c.secrets.kv.v2.create_or_update_secret("up/x", secret={"a": "b"})
    p.expect(w["data"]["version"] >= 1, "write with the userpass token")
    e = p.raises("write outside policy", exceptions.Forbidden, c.secrets.kv.v2.create_or_update_secret, "elsewhere", secret={"a": "b"})
    p.expect(e.errors == ["1 error occurred:\n\t* permission denied\n\n"] or e.errors == ["permission denied"], "forbidden errors %r", e.errors)

    e = p.raises("bad password", exceptions.InvalidRequest, client().auth.userpass.login, "alice", "nope", mount_point=mount)
    p.expect(e.errors and "invalid username or password" in e.errors[0], "bad password errors %r", e.errors)
    resp = up.update_password_on_user("alice", "pw-two", mount_point=mount)
    p.expect(status_of(resp) == 204, "update_password_on_user: %s", status_of(resp))
    legacy = client()
    legacy.auth_userpass("alice", "pw-two", mount_point=mount)
    p.expect(legacy.is_authenticated(), "client.auth_userpass (legacy) login")
    resp = up.delete_user("alice", mount_point=mount)
    p.expect(status_of(resp) == 204, "delete_user: %s", status_of(resp))
    p.raises("login of a deleted user", exceptions.InvalidRequest, client().auth.userpass.login, "alice", "pw-two", mount_point=mount)
    root.sys.disable_auth_method(mount)
    root.sys.delete_policy(pol)


def check_errors(p, root):
    anon = client()
    e = p.raises("read without a token", exceptions.Forbidden, anon.secrets.kv.v2.read_secret_version, "x")
    p.expect(e.errors and "permission denied" in e.errors[0], "no-token errors %r", e.errors)
    e = p.raises("write under no mount", exceptions.InvalidPath, root.write, "py-no-mount-" + SUFFIX + "/x", a="b")
    p.expect(e.errors and "no handler for route" in e.errors[0], "no-mount errors %r", e.errors)
    e = p.raises("read of a missing key (raw)", exceptions.InvalidPath, root.secrets.kv.v2.read_secret_version, "py-none-" + SUFFIX)
    p.expect(e.errors == [], "404 errors %r, want []", e.errors)
    p.raises("unknown engine type", exceptions.InvalidRequest, root.sys.enable_secrets_engine, "no-such-engine", path="py-bad-" + SUFFIX)


def check_leases(p, root):
    s = root.sys
    p.raises("read_lease of an unknown lease", exceptions.InvalidRequest, s.read_lease, "database/creds/none/" + SUFFIX)
    creds_path = os.environ.get("COMPAT_DB_CREDS_PATH", "")
    if not creds_path:
        print("hvac: leases: COMPAT_DB_CREDS_PATH not set, lease life cycle skipped")
        return

    def issue():
        r = root.read(creds_path)
        p.expect(r and r["lease_id"].startswith(creds_path + "/") and r["renewable"] and r["lease_duration"] > 0, "creds %r", r)
        return r

    c = issue()
    look = s.read_lease(c["lease_id"])["data"]
    p.expect(look["id"] == c["lease_id"] and look["renewable"] is True and isinstance(look["ttl"], int), "read_lease %r", look)
    renewed = s.renew_lease(c["lease_id"], increment=600)
    p.expect(renewed["lease_id"] == c["lease_id"] and renewed["lease_duration"] == 600, "renew_lease %r", renewed)
    listed = s.list_leases(creds_path)
    p.expect(c["lease_id"].rsplit("/", 1)[1] in listed["data"]["keys"], "list_leases %r", listed["data"])
    resp = s.revoke_lease(c["lease_id"])
    p.expect(status_of(resp) == 204, "revoke_lease: %s", status_of(resp))
    p.raises("read_lease after revoke", exceptions.InvalidRequest, s.read_lease, c["lease_id"])

    c1, c2 = issue(), issue()
    resp = s.revoke_prefix(creds_path)
    p.expect(status_of(resp) == 204, "revoke_prefix: %s", status_of(resp))
    for lease in (c1, c2):
        p.raises("read_lease after revoke_prefix", exceptions.InvalidRequest, s.read_lease, lease["lease_id"])
    c3 = issue()
    resp = s.revoke_force(creds_path)
    p.expect(status_of(resp) == 204, "revoke_force: %s", status_of(resp))
    p.raises("read_lease after revoke_force", exceptions.InvalidRequest, s.read_lease, c3["lease_id"])
    # The legacy Client methods that older code still calls.
    c4 = issue()
    renewed = root.renew_secret(c4["lease_id"], increment=300)
    p.expect(renewed["lease_duration"] == 300, "client.renew_secret %r", renewed)
    resp = root.revoke_secret(c4["lease_id"])
    p.expect(status_of(resp) == 204, "client.revoke_secret: %s", status_of(resp))
    p.raises("read_lease after revoke_secret", exceptions.InvalidRequest, s.read_lease, c4["lease_id"])


def check_wrapping(p, root):
    path = "py-wrap-" + SUFFIX
    root.secrets.kv.v2.create_or_update_secret(path, secret={"k": "v"})
    wrapped = root.read("secret/data/" + path, wrap_ttl="5m")
    info = wrapped["wrap_info"]
    p.expect(wrapped["data"] is None and info["ttl"] == 300 and info["creation_path"] == "secret/data/" + path, "wrapped read %r", wrapped)
    # Unwrap as the workload does: with only the wrapping token.
    unwrapped = client(info["token"]).sys.unwrap()
    p.expect(unwrapped["data"]["data"] == {"k": "v"}, "unwrap with the wrapping token %r", unwrapped)
    e = p.raises("second unwrap", exceptions.InvalidRequest, root.sys.unwrap, info["token"])
    p.expect(e.errors and "wrapping token is not valid or does not exist" in e.errors[0], "second unwrap errors %r", e.errors)

    created = root.auth.token.create(ttl="10m", wrap_ttl="2m")
    p.expect(created["auth"] is None and created["wrap_info"]["wrapped_accessor"], "wrapped token create %r", created)
    unwrapped = root.sys.unwrap(created["wrap_info"]["token"])
    p.expect(unwrapped["auth"]["accessor"] == created["wrap_info"]["wrapped_accessor"], "unwrapped token %r", unwrapped)


def check_init(p, root):
    addr = os.environ.get("COMPAT_UNINIT_ADDR", "")
    if not addr:
        print("hvac: init: COMPAT_UNINIT_ADDR not set, init/unseal skipped")
        return
    c = hvac.Client(url=addr, token="")
    p.expect(c.sys.is_initialized() is False, "is_initialized on a fresh server")
    # hvac reads sys/health without raising: the status code is the answer.
    health = c.sys.read_health_status(method="GET")
    p.expect(status_of(health) == 501 and health.json()["initialized"] is False, "health of an uninitialised server: %s", status_of(health))
    health = c.sys.read_health_status(method="GET", uninit_code=299)
    p.expect(status_of(health) == 299 and health.json()["initialized"] is False, "health with uninitcode=299: %s", status_of(health))
    # hvac sends "root_token_pgp_key": null.
    result = c.sys.initialize(secret_shares=3, secret_threshold=2)
    p.expect(len(result["keys"]) == 3 and len(result["keys_base64"]) == 3 and result["root_token"], "initialize %r", result)
    p.expect(c.sys.is_sealed() is True, "sealed after init")
    status = c.sys.submit_unseal_key(result["keys"][0])
    p.expect(status["sealed"] is True and status["progress"] == 1, "one share %r", status)
    status = c.sys.submit_unseal_key(reset=True)
    p.expect(status["progress"] == 0, "reset %r", status)
    status = c.sys.submit_unseal_keys(result["keys_base64"][1:])
    p.expect(status["sealed"] is False, "unseal with two shares %r", status)
    c.token = result["root_token"]
    p.expect(c.is_authenticated(), "root token after init")
    resp = c.sys.seal()
    p.expect(status_of(resp) == 204, "seal: %s", status_of(resp))
    health = c.sys.read_health_status(method="GET")
    p.expect(status_of(health) == 503 and health.json()["sealed"] is True, "health of a sealed server: %s", status_of(health))
    p.expect(c.sys.is_sealed() is True, "is_sealed after seal")


def check_database(p, root):
    url = os.environ.get("COMPAT_PG_URL", "")
    if not url:
        print("hvac: database: COMPAT_PG_URL not set, database engine skipped")
        return
    mount = "py-db-" + SUFFIX
    db = root.secrets.database
    root.sys.enable_secrets_engine("database", path=mount)
    resp = db.configure(
        "pg", "postgresql-database-plugin", allowed_roles=["dyn", "stat"], mount_point=mount,
        connection_url=url, username=os.environ["COMPAT_PG_USER"], password=os.environ["COMPAT_PG_PASSWORD"],
    )
    p.expect(status_of(resp) in (200, 204), "database configure: %s", status_of(resp))
    conn = db.read_connection("pg", mount_point=mount)["data"]
    p.expect(conn["plugin_name"] == "postgresql-database-plugin" and conn["allowed_roles"] == ["dyn", "stat"], "read_connection %r", conn)
    p.expect("password" not in conn["connection_details"], "read_connection shows the password")
    p.expect(db.list_connections(mount_point=mount)["data"]["keys"] == ["pg"], "list_connections")

    resp = db.create_role(
        "dyn", "pg", ['CREATE ROLE "{{name}}" WITH LOGIN PASSWORD \'{{password}}\' VALID UNTIL \'{{expiration}}\';'],
        default_ttl="1h", max_ttl="2h", mount_point=mount,
    )
    p.expect(status_of(resp) in (200, 204), "create_role: %s", status_of(resp))
    role = db.read_role("dyn", mount_point=mount)["data"]
    p.expect(role["db_name"] == "pg" and role["default_ttl"] == 3600 and role["max_ttl"] == 7200, "read_role %r", role)
    p.expect(db.list_roles(mount_point=mount)["data"]["keys"] == ["dyn"], "list_roles")
    creds = db.generate_credentials("dyn", mount_point=mount)
    p.expect(creds["lease_id"].startswith(mount + "/creds/dyn/") and creds["lease_duration"] == 3600 and creds["data"]["username"], "generate_credentials %r", creds)
    resp = root.sys.revoke_lease(creds["lease_id"])
    p.expect(status_of(resp) == 204, "revoke the credentials: %s", status_of(resp))
    e = p.raises("credentials of an unknown role", exceptions.InvalidRequest, db.generate_credentials, "nope", mount_point=mount)
    p.expect(e.errors and "unknown role" in e.errors[0], "unknown role errors %r", e.errors)

    static_user = os.environ.get("COMPAT_PG_STATIC_USER", "")
    if static_user:
        resp = db.create_static_role(
            "stat", "pg", static_user, ['ALTER USER "{{name}}" WITH PASSWORD \'{{password}}\';'], rotation_period=3600, mount_point=mount,
        )
        p.expect(status_of(resp) in (200, 204), "create_static_role: %s", status_of(resp))
        cred = db.get_static_credentials("stat", mount_point=mount)["data"]
        p.expect(cred["username"] == static_user and cred["password"] and cred["rotation_period"] == 3600 and 0 < cred["ttl"] <= 3600, "static creds %r", cred)
        p.expect(db.list_static_roles(mount_point=mount)["data"]["keys"] == ["stat"], "list_static_roles")
        resp = db.delete_static_role("stat", mount_point=mount)
        p.expect(status_of(resp) == 204, "delete_static_role: %s", status_of(resp))

    resp = db.reset_connection("pg", mount_point=mount)
    p.expect(status_of(resp) in (200, 204), "reset_connection: %s", status_of(resp))
    resp = db.delete_role("dyn", mount_point=mount)
    p.expect(status_of(resp) == 204, "delete_role: %s", status_of(resp))
    resp = db.delete_connection("pg", mount_point=mount)
    p.expect(status_of(resp) == 204, "delete_connection: %s", status_of(resp))
    root.sys.disable_secrets_engine(mount)


SECTIONS = [
    ("sys health and seal status", check_sys_health),
    ("sys mounts", check_sys_mounts),
    ("sys auth", check_sys_auth),
    ("sys policies", check_sys_policies),
    ("sys audit", check_sys_audit),
    ("sys capabilities", check_sys_capabilities),
    ("tokens", check_tokens),
    ("generic read/write/list/delete", check_generic),
    ("kv v2", check_kv_v2),
    ("kv v1", check_kv_v1),
    ("userpass", check_userpass),
    ("errors", check_errors),
    ("leases", check_leases),
    ("database", check_database),
    ("wrapping", check_wrapping),
    ("init", check_init),
]


def main():
    if not ADDR or not ROOT_TOKEN:
        print("hvac: set VAULT_ADDR and VAULT_TOKEN (a root token)", file=sys.stderr)
        return 2
    p = Probe()
    root = client(ROOT_TOKEN)
    only = os.environ.get("COMPAT_ONLY", "")
    failed = 0
    for name, fn in SECTIONS:
        if only and name not in only:
            continue
        try:
            fn(p, root)
            print("hvac: ok   [%s]" % name)
        except CheckFailed as e:
            failed += 1
            print("hvac: FAIL [%s] %s" % (name, e), file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - an unexpected exception is a failed check too
            failed += 1
            print("hvac: FAIL [%s] %s: %s" % (name, type(e).__name__, e), file=sys.stderr)
    if failed:
        print("hvac: %d section(s) failed" % failed, file=sys.stderr)
        return 1
    print("hvac: all %d checks passed" % p.checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
