package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	vault "github.com/hashicorp/vault/api"
)

// checkMore covers calls Go programs make less often but still rely on: token roles,
// legacy sys/policy, odd key names, mount flags, key rotation, raw requests.
func checkMore(p *probe) {
	ctx := context.Background()
	sys := p.root.Sys()
	l := p.root.Logical()

	// Token roles, and a token created against one.
	role := "go-role-" + p.suffix
	_, err := l.Write("auth/token/roles/"+role, map[string]interface{}{
		"allowed_policies": []string{"default", "go-role-pol"}, "orphan": true, "token_period": "1h",
	})
	p.ok("Logical().Write token role", err)
	r, err := l.Read("auth/token/roles/" + role)
	p.ok("Logical().Read token role", err)
	p.expect(r != nil && r.Data["orphan"] == true && r.Data["token_period"] == json.Number("3600"), "token role read: %v", dataOf(r))
	roles, err := l.List("auth/token/roles")
	p.ok("Logical().List token roles", err)
	p.expect(roles != nil && contains(stringsOf(roles.Data["keys"]), role), "token roles list %v", dataOf(roles))
	byRole, err := p.root.Auth().Token().CreateWithRole(&vault.TokenCreateRequest{Policies: []string{"go-role-pol"}}, role)
	p.ok("Token().CreateWithRole", err)
	p.expect(byRole.Auth.Orphan && byRole.Auth.LeaseDuration == 3600 && byRole.Auth.Renewable, "CreateWithRole auth %+v", byRole.Auth)
	look, err := p.root.Auth().Token().Lookup(byRole.Auth.ClientToken)
	p.ok("Token().Lookup role token", err)
	p.expect(look.Data["role"] == role && look.Data["period"] == json.Number("3600"), "role token lookup: role %v period %v", look.Data["role"], look.Data["period"])
	p.expect(look.Data["path"] == "auth/token/create/"+role, "role token path %v", look.Data["path"])
	_, err = l.Delete("auth/token/roles/" + role)
	p.ok("Logical().Delete token role", err)

	// The legacy sys/policy path: "rules" is accepted with a deprecation warning.
	pol := "go-legacy-" + p.suffix
	w, err := l.Write("sys/policy/"+pol, map[string]interface{}{"rules": `path "secret/*" { capabilities = ["read"] }`})
	p.ok("Logical().Write sys/policy with rules", err)
	p.expect(w != nil && len(w.Warnings) == 1, "sys/policy write with rules: warnings %v", warningsOf(w))
	r, err = l.Read("sys/policy/" + pol)
	p.ok("Logical().Read sys/policy", err)
	p.expect(r != nil && r.Data["rules"] == `path "secret/*" { capabilities = ["read"] }` && r.Data["name"] == pol, "sys/policy read %v", dataOf(r))
	_, err = l.Delete("sys/policy/" + pol)
	p.ok("Logical().Delete sys/policy", err)

	// Key names with spaces, percent signs and non-ASCII letters round-trip.
	kv := p.root.KVv2("secret")
	odd := "go-odd-" + p.suffix + "/a key/with%percent/ünïcode"
	_, err = kv.Put(ctx, odd, map[string]interface{}{"v": "x"})
	p.ok("KVv2.Put odd key", err)
	s, err := kv.Get(ctx, odd)
	p.ok("KVv2.Get odd key", err)
	p.expect(s.Data["v"] == "x", "odd key read %v", s.Data)
	list, err := l.List("secret/metadata/go-odd-" + p.suffix + "/a key")
	p.ok("Logical().List odd folder", err)
	p.expect(list != nil && sameSet(stringsOf(list.Data["keys"]), []string{"with%percent/"}), "odd list %v", dataOf(list))
	list, err = l.List("secret/metadata")
	p.ok("Logical().List at the mount root", err)
	p.expect(list != nil && contains(stringsOf(list.Data["keys"]), "go-odd-"+p.suffix+"/"), "mount-root list lacks the probe folder: %v", dataOf(list))

	// Mount flags round-trip.
	flags := "go-flags-" + p.suffix
	p.ok("Sys().Mount with flags", sys.Mount(flags, &vault.MountInput{
		Type: "kv", Local: true, SealWrap: true, Options: map[string]string{"version": "2"},
		Config: vault.MountConfigInput{ListingVisibility: "unauth", PassthroughRequestHeaders: []string{"X-Probe"}},
	}))
	m, err := sys.GetMount(flags)
	p.ok("Sys().GetMount flags", err)
	p.expect(m.Local && m.SealWrap && m.Options["version"] == "2", "mount flags %+v", m)
	p.expect(m.Config.ListingVisibility == "unauth" && sameSet(m.Config.PassthroughRequestHeaders, []string{"X-Probe"}), "mount config %+v", m.Config)
	p.ok("Sys().Unmount flags", sys.Unmount(flags))

	// Key rotation moves the term on.
	before, err := sys.KeyStatus()
	p.ok("Sys().KeyStatus", err)
	p.ok("Sys().Rotate", sys.Rotate())
	after, err := sys.KeyStatus()
	p.ok("Sys().KeyStatus after rotate", err)
	p.expect(after.Term == before.Term+1 && !after.InstallTime.IsZero(), "key term %d -> %d", before.Term, after.Term)
	v, err := kv.Get(ctx, odd)
	p.ok("KVv2.Get after rotate", err)
	p.expect(v.Data["v"] == "x", "read after rotate %v", v.Data)

	// A login mount tuned to batch tokens hands out batch tokens.
	up := "go-batch-" + p.suffix
	p.ok("Sys().EnableAuthWithOptions batch", sys.EnableAuthWithOptions(up, &vault.EnableAuthOptions{
		Type: "userpass", Config: vault.AuthConfigInput{TokenType: "batch"},
	}))
	defer func() { _ = sys.DisableAuth(up) }()
	_, err = l.Write("auth/"+up+"/users/bo", map[string]interface{}{"password": "pw"})
	p.ok("write user on batch mount", err)
	anon := p.clientWith("")
	anon.ClearToken()
	login, err := anon.Logical().Write("auth/"+up+"/login/bo", map[string]interface{}{"password": "pw"})
	p.ok("login on batch mount", err)
	p.expect(login.Auth != nil && !login.Auth.Renewable && login.Auth.Accessor == "", "batch login auth %+v", login.Auth)
	bl, err := p.root.Auth().Token().Lookup(login.Auth.ClientToken)
	p.ok("lookup batch login token", err)
	p.expect(bl.Data["type"] == "batch", "batch login lookup type %v", bl.Data["type"])

	// Raw requests: HEAD on sys/health, the request id header, JSON content type.
	req := p.root.NewRequest(http.MethodHead, "/v1/sys/health")
	resp, err := p.root.RawRequestWithContext(ctx, req)
	p.ok("HEAD sys/health", err)
	p.expect(resp.StatusCode == 200, "HEAD sys/health status %d", resp.StatusCode)
	resp.Body.Close()
	req = p.root.NewRequest(http.MethodGet, "/v1/sys/mounts")
	resp, err = p.root.RawRequestWithContext(ctx, req)
	p.ok("GET sys/mounts raw", err)
	p.expect(resp.Header.Get("Content-Type") == "application/json", "sys/mounts content type %q", resp.Header.Get("Content-Type"))
	resp.Body.Close()

	// Older Go code sends the LIST verb itself through a raw request.
	req = p.root.NewRequest("LIST", "/v1/secret/metadata/go-odd-"+p.suffix)
	resp, err = p.root.RawRequestWithContext(ctx, req)
	p.ok("raw LIST", err)
	listed, err := vault.ParseSecret(resp.Body)
	resp.Body.Close()
	p.ok("ParseSecret of a raw LIST", err)
	p.expect(listed != nil && sameSet(stringsOf(listed.Data["keys"]), []string{"a key/"}), "raw LIST keys %v", dataOf(listed))
}

// checkSeal seals the server and unseals it with COMPAT_UNSEAL_KEY, as operators' Go
// tooling does; it runs last because a sealed server refuses everything else.
func checkSeal(p *probe) {
	key := os.Getenv("COMPAT_UNSEAL_KEY")
	if key == "" {
		fmt.Println("go-client: seal: COMPAT_UNSEAL_KEY not set, seal/unseal skipped")
		return
	}
	sys := p.root.Sys()
	p.ok("Sys().Seal", sys.Seal())
	st, err := sys.SealStatus()
	p.ok("Sys().SealStatus sealed", err)
	p.expect(st.Sealed && st.Progress == 0 && st.T >= 1, "sealed status %+v", st)
	h, err := sys.Health()
	p.ok("Sys().Health sealed (sealedcode=299)", err)
	p.expect(h.Sealed && h.Initialized, "sealed health %+v", h)
	_, err = p.root.Logical().Read("secret/data/x")
	p.expectStatus("read while sealed", err, 503, "Vault is sealed")
	_, err = sys.ListMounts()
	p.expectStatus("ListMounts while sealed", err, 503, "")

	st, err = sys.Unseal("bm90LWEta2V5")
	p.expect(err != nil, "Unseal with a wrong key succeeded: %+v", st)
	st, err = sys.ResetUnsealProcess()
	p.ok("Sys().ResetUnsealProcess", err)
	p.expect(st.Sealed && st.Progress == 0, "after reset %+v", st)
	st, err = sys.Unseal(key)
	p.ok("Sys().Unseal", err)
	p.expect(!st.Sealed, "still sealed after the key: %+v", st)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = p.root.Logical().Read("sys/mounts")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			p.failf("server not serving 10s after unseal: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s, err := p.root.KVv2("secret").Get(context.Background(), "go-odd-"+p.suffix+"/a key/with%percent/ünïcode")
	p.ok("KVv2.Get after unseal", err)
	p.expect(s.Data["v"] == "x", "data after unseal %v", s.Data)
}

func warningsOf(s *vault.Secret) []string {
	if s == nil {
		return nil
	}
	return s.Warnings
}
