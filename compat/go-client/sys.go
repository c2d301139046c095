package main

import (
	"strings"

	vault "github.com/hashicorp/vault/api"
)

func checkHealth(p *probe) {
	sys := p.root.Sys()
	h, err := sys.Health()
	p.ok("Sys().Health", err)
	p.expect(h.Initialized && !h.Sealed && !h.Standby, "Health: initialized=%v sealed=%v standby=%v", h.Initialized, h.Sealed, h.Standby)
	p.expect(h.Version != "", "Health: empty version")
	p.expect(h.ServerTimeUTC > 0, "Health: server_time_utc %d", h.ServerTimeUTC)
	p.expect(h.ReplicationDRMode != "" && h.ReplicationPerformanceMode != "", "Health: replication modes empty (%q, %q)", h.ReplicationDRMode, h.ReplicationPerformanceMode)

	s, err := sys.SealStatus()
	p.ok("Sys().SealStatus", err)
	p.expect(s.Initialized && !s.Sealed, "SealStatus: initialized=%v sealed=%v", s.Initialized, s.Sealed)
	p.expect(s.Type == "shamir", "SealStatus: type %q, want shamir", s.Type)
	p.expect(s.T >= 1 && s.N >= s.T, "SealStatus: t=%d n=%d", s.T, s.N)
	p.expect(s.Version != "", "SealStatus: empty version")
	p.expect(s.ClusterName != "" && s.ClusterID != "", "SealStatus: unsealed server without cluster_name/cluster_id (%q, %q)", s.ClusterName, s.ClusterID)

	inited, err := sys.InitStatus()
	p.ok("Sys().InitStatus", err)
	p.expect(inited, "InitStatus: false on an initialized server")

	leader, err := sys.Leader()
	p.ok("Sys().Leader", err)
	p.expect(!leader.HAEnabled || leader.IsSelf, "Leader: ha_enabled without is_self: %+v", leader)

	ks, err := sys.KeyStatus()
	p.ok("Sys().KeyStatus", err)
	p.expect(ks.Term >= 1, "KeyStatus: term %d", ks.Term)
}

func checkMounts(p *probe) {
	sys := p.root.Sys()
	mounts, err := sys.ListMounts()
	p.ok("Sys().ListMounts", err)
	for _, want := range []string{"secret/", "sys/", "cubbyhole/"} {
		p.expect(mounts[want] != nil, "ListMounts: no %q in %v", want, keys(mounts))
	}
	secret := mounts["secret/"]
	p.expect(secret.Type == "kv" && secret.Options["version"] == "2", "ListMounts: secret/ is %q options %v, want kv version 2", secret.Type, secret.Options)
	p.expect(strings.HasPrefix(secret.Accessor, "kv_"), "ListMounts: secret/ accessor %q", secret.Accessor)
	p.expect(secret.UUID != "", "ListMounts: secret/ has no uuid")
	p.expect(mounts["sys/"].Type == "system", "ListMounts: sys/ type %q", mounts["sys/"].Type)

	v1 := "go-kv1-" + p.suffix
	p.ok("Sys().Mount kv v1", sys.Mount(v1, &vault.MountInput{
		Type: "kv", Description: "probe v1", Options: map[string]string{"version": "1"},
	}))
	v2 := "go-kv2-" + p.suffix
	p.ok("Sys().Mount kv-v2", sys.Mount(v2, &vault.MountInput{
		Type: "kv-v2", Config: vault.MountConfigInput{DefaultLeaseTTL: "1h", MaxLeaseTTL: "24h"},
	}))
	defer func() { _ = sys.Unmount(v2) }()

	m, err := sys.GetMount(v1)
	p.ok("Sys().GetMount", err)
	p.expect(m.Type == "kv" && m.Description == "probe v1" && m.Options["version"] == "1", "GetMount %s: %+v", v1, m)

	mounts, err = sys.ListMounts()
	p.ok("Sys().ListMounts after mount", err)
	m2 := mounts[v2+"/"]
	p.expect(m2 != nil, "ListMounts: %s/ missing after Mount", v2)
	p.expect(m2.Type == "kv" && m2.Options["version"] == "2", "ListMounts: kv-v2 mount shows as %q %v, want kv version 2", m2.Type, m2.Options)
	p.expect(m2.Config.DefaultLeaseTTL == 3600 && m2.Config.MaxLeaseTTL == 86400, "ListMounts: %s/ TTLs %d/%d, want 3600/86400", v2, m2.Config.DefaultLeaseTTL, m2.Config.MaxLeaseTTL)

	desc := "tuned"
	p.ok("Sys().TuneMount", sys.TuneMount(v1, vault.MountConfigInput{DefaultLeaseTTL: "30m", MaxLeaseTTL: "2h", Description: &desc}))
	cfg, err := sys.MountConfig(v1)
	p.ok("Sys().MountConfig", err)
	p.expect(cfg.DefaultLeaseTTL == 1800 && cfg.MaxLeaseTTL == 7200, "MountConfig after tune: %d/%d, want 1800/7200", cfg.DefaultLeaseTTL, cfg.MaxLeaseTTL)
	m, err = sys.GetMount(v1)
	p.ok("Sys().GetMount after tune", err)
	p.expect(m.Description == "tuned", "GetMount after tune: description %q", m.Description)

	// TuneMountAllowNil sends only what is set; an unset TTL stays as it was.
	ttl := "45m"
	p.ok("Sys().TuneMountAllowNil", sys.TuneMountAllowNil(v1, vault.TuneMountConfigInput{DefaultLeaseTTL: &ttl}))
	cfg, err = sys.MountConfig(v1)
	p.ok("Sys().MountConfig after TuneMountAllowNil", err)
	p.expect(cfg.DefaultLeaseTTL == 2700 && cfg.MaxLeaseTTL == 7200, "MountConfig after TuneMountAllowNil: %d/%d, want 2700/7200", cfg.DefaultLeaseTTL, cfg.MaxLeaseTTL)

	// Remount moves the mount; its data goes along.
	_, err = p.root.Logical().Write(v1+"/k", map[string]interface{}{"v": "1"})
	p.ok("write before remount", err)
	moved := v1 + "-moved"
	p.ok("Sys().Remount", sys.Remount(v1, moved))
	s, err := p.root.Logical().Read(moved + "/k")
	p.ok("read after remount", err)
	p.expect(s != nil && s.Data["v"] == "1", "read after remount: %+v", s)

	p.ok("Sys().Unmount", sys.Unmount(moved))
	mounts, err = sys.ListMounts()
	p.ok("Sys().ListMounts after unmount", err)
	p.expect(mounts[moved+"/"] == nil, "ListMounts: %s/ still there after Unmount", moved)
	// Vault answers a missing mount with 400, not 404.
	_, err = sys.GetMount(moved)
	p.expectStatus("Sys().GetMount of a removed mount", err, 400, "")
	_, err = sys.MountConfig(moved)
	p.expectStatus("Sys().MountConfig of a removed mount", err, 400, "")
	err = sys.Mount("secret", &vault.MountInput{Type: "kv"})
	p.expectStatus("Sys().Mount on a taken path", err, 400, "path is already in use")
}

func checkAuthMounts(p *probe) {
	sys := p.root.Sys()
	auths, err := sys.ListAuth()
	p.ok("Sys().ListAuth", err)
	tok := auths["token/"]
	p.expect(tok != nil && tok.Type == "token", "ListAuth: token/ missing or wrong: %v", keys(auths))
	p.expect(strings.HasPrefix(tok.Accessor, "auth_token_"), "ListAuth: token/ accessor %q", tok.Accessor)

	path := "go-up-" + p.suffix
	p.ok("Sys().EnableAuthWithOptions", sys.EnableAuthWithOptions(path, &vault.EnableAuthOptions{
		Type: "userpass", Description: "probe users", Config: vault.AuthConfigInput{DefaultLeaseTTL: "20m"},
	}))
	auths, err = sys.ListAuth()
	p.ok("Sys().ListAuth after enable", err)
	up := auths[path+"/"]
	p.expect(up != nil, "ListAuth: %s/ missing after enable", path)
	p.expect(up.Type == "userpass" && up.Description == "probe users", "ListAuth: %s/ = %+v", path, up)
	p.expect(strings.HasPrefix(up.Accessor, "auth_userpass_"), "ListAuth: accessor %q", up.Accessor)
	p.expect(up.Config.DefaultLeaseTTL == 1200, "ListAuth: default_lease_ttl %d, want 1200", up.Config.DefaultLeaseTTL)

	a, err := sys.GetAuth(path)
	p.ok("Sys().GetAuth", err)
	p.expect(a.Type == "userpass" && a.Accessor == up.Accessor, "GetAuth: %+v", a)

	p.ok("Sys().TuneMount on auth/", sys.TuneMount("auth/"+path, vault.MountConfigInput{MaxLeaseTTL: "3h"}))
	cfg, err := sys.MountConfig("auth/" + path)
	p.ok("Sys().MountConfig on auth/", err)
	p.expect(cfg.MaxLeaseTTL == 10800, "MountConfig auth/%s: max %d, want 10800", path, cfg.MaxLeaseTTL)

	err = sys.EnableAuthWithOptions(path, &vault.EnableAuthOptions{Type: "userpass"})
	p.expectStatus("Sys().EnableAuthWithOptions on a taken path", err, 400, "path is already in use")
	p.ok("Sys().DisableAuth", sys.DisableAuth(path))
	auths, err = sys.ListAuth()
	p.ok("Sys().ListAuth after disable", err)
	p.expect(auths[path+"/"] == nil, "ListAuth: %s/ still there after disable", path)
}

func checkPolicies(p *probe) {
	sys := p.root.Sys()
	name := "go-pol-" + p.suffix
	rules := "path \"secret/data/go/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n"
	p.ok("Sys().PutPolicy", sys.PutPolicy(name, rules))
	list, err := sys.ListPolicies()
	p.ok("Sys().ListPolicies", err)
	p.expect(contains(list, name) && contains(list, "default") && contains(list, "root"), "ListPolicies: %v lacks %s, default or root", list, name)
	got, err := sys.GetPolicy(name)
	p.ok("Sys().GetPolicy", err)
	p.expect(got == rules, "GetPolicy: %q, want %q", got, rules)

	// Names are case-insensitive: Vault lowercases them.
	got, err = sys.GetPolicy(strings.ToUpper(name))
	p.ok("Sys().GetPolicy upper-case", err)
	p.expect(got == rules, "GetPolicy of the upper-case name: %q", got)

	err = sys.PutPolicy("go-bad-"+p.suffix, "path \"x\" { capabilities = [\"read\" }")
	p.expectStatus("Sys().PutPolicy with malformed HCL", err, 400, "")
	err = sys.DeletePolicy("root")
	p.expectStatus("Sys().DeletePolicy root", err, 400, "cannot delete")

	p.ok("Sys().DeletePolicy", sys.DeletePolicy(name))
	got, err = sys.GetPolicy(name)
	p.ok("Sys().GetPolicy after delete", err)
	p.expect(got == "", "GetPolicy after delete: %q, want \"\" (404)", got)
	p.ok("Sys().DeletePolicy of a missing policy", sys.DeletePolicy(name))
}

func checkAudit(p *probe) {
	sys := p.root.Sys()
	path := "go-audit-" + p.suffix
	p.ok("Sys().EnableAuditWithOptions", sys.EnableAuditWithOptions(path, &vault.EnableAuditOptions{
		Type: "file", Description: "probe", Options: map[string]string{"file_path": "discard"},
	}))
	list, err := sys.ListAudit()
	p.ok("Sys().ListAudit", err)
	a := list[path+"/"]
	p.expect(a != nil, "ListAudit: %s/ missing: %v", path, list)
	p.expect(a.Type == "file" && a.Path == path+"/" && a.Description == "probe" && a.Options["file_path"] == "discard",
		"ListAudit: %s/ = %+v", path, a)

	hash, err := sys.AuditHash(path, "secret-value")
	p.ok("Sys().AuditHash", err)
	p.expect(strings.HasPrefix(hash, "hmac-sha256:"), "AuditHash: %q", hash)

	err = sys.EnableAuditWithOptions(path, &vault.EnableAuditOptions{Type: "file", Options: map[string]string{"file_path": "discard"}})
	p.expectStatus("Sys().EnableAuditWithOptions on a taken path", err, 400, "")
	p.ok("Sys().DisableAudit", sys.DisableAudit(path))
	list, err = sys.ListAudit()
	p.ok("Sys().ListAudit after disable", err)
	p.expect(list[path+"/"] == nil, "ListAudit: %s/ still there", path)
}

func checkCapabilities(p *probe) {
	sys := p.root.Sys()
	name := "go-cap-" + p.suffix
	p.ok("Sys().PutPolicy", sys.PutPolicy(name, "path \"secret/data/cap/*\" { capabilities = [\"read\", \"list\", \"update\"] }\n"))
	defer func() { _ = sys.DeletePolicy(name) }()
	tok, err := p.root.Auth().Token().Create(&vault.TokenCreateRequest{Policies: []string{name}, TTL: "10m"})
	p.ok("Token().Create", err)
	child := tok.Auth.ClientToken

	caps, err := sys.CapabilitiesSelf("secret/data/anything")
	p.ok("Sys().CapabilitiesSelf (root)", err)
	p.expect(len(caps) == 1 && caps[0] == "root", "CapabilitiesSelf for root: %v", caps)

	caps, err = sys.Capabilities(child, "secret/data/cap/x")
	p.ok("Sys().Capabilities", err)
	p.expect(sameSet(caps, []string{"list", "read", "update"}), "Capabilities: %v, want list read update", caps)
	caps, err = sys.Capabilities(child, "secret/data/other")
	p.ok("Sys().Capabilities (denied path)", err)
	p.expect(sameSet(caps, []string{"deny"}), "Capabilities on a denied path: %v", caps)

	caps, err = sys.CapabilitiesAccessor(tok.Auth.Accessor, "secret/data/cap/x")
	p.ok("Sys().CapabilitiesAccessor", err)
	p.expect(sameSet(caps, []string{"list", "read", "update"}), "CapabilitiesAccessor: %v", caps)

	cc := p.clientWith(child)
	caps, err = cc.Sys().CapabilitiesSelf("secret/data/cap/y")
	p.ok("Sys().CapabilitiesSelf (child)", err)
	p.expect(sameSet(caps, []string{"list", "read", "update"}), "CapabilitiesSelf for the child: %v", caps)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range b {
		if !contains(a, x) {
			return false
		}
	}
	return true
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
