package main

import (
	"strings"

	vault "github.com/hashicorp/vault/api"
)

// checkDefaultPolicy does with a token holding only the default policy what application
// code does with its own token, and checks that what Vault's default policy allows works
// and what it does not is a 403.
func checkDefaultPolicy(p *probe) {
	text, err := p.root.Sys().GetPolicy("default")
	p.ok("Sys().GetPolicy default", err)
	p.expect(strings.Contains(text, `path "auth/token/lookup-self"`) && strings.Contains(text, `path "cubbyhole/*"`), "default policy text:\n%s", text)

	// Without policies a child inherits its parent's (root here): name default alone.
	tok, err := p.root.Auth().Token().Create(&vault.TokenCreateRequest{TTL: "10m", Policies: []string{"default"}})
	p.ok("Token().Create with only default", err)
	p.expect(sameSet(tok.Auth.Policies, []string{"default"}), "policies %v", tok.Auth.Policies)
	c := p.clientWith(tok.Auth.ClientToken)

	_, err = c.Auth().Token().LookupSelf()
	p.ok("LookupSelf under default", err)
	_, err = c.Auth().Token().RenewSelf(0)
	p.ok("RenewSelf under default", err)
	caps, err := c.Sys().CapabilitiesSelf("secret/data/x")
	p.ok("CapabilitiesSelf under default", err)
	p.expect(sameSet(caps, []string{"deny"}), "capabilities %v", caps)
	caps, err = c.Sys().CapabilitiesSelf("cubbyhole/x")
	p.ok("CapabilitiesSelf on cubbyhole", err)
	p.expect(sameSet(caps, []string{"create", "read", "update", "delete", "list"}), "cubbyhole capabilities %v", caps)

	_, err = c.Logical().Write("cubbyhole/mine", map[string]interface{}{"v": "1"})
	p.ok("cubbyhole write under default", err)
	r, err := c.Logical().Read("cubbyhole/mine")
	p.ok("cubbyhole read under default", err)
	p.expect(r != nil && r.Data["v"] == "1", "cubbyhole read %v", dataOf(r))
	// Another token's cubbyhole is its own.
	r, err = p.root.Logical().Read("cubbyhole/mine")
	p.ok("root's cubbyhole read", err)
	p.expect(r == nil, "root sees the child's cubbyhole: %v", dataOf(r))

	w, err := c.Logical().Write("sys/wrapping/wrap", map[string]interface{}{"x": "y"})
	p.ok("sys/wrapping/wrap under default", err)
	un, err := c.Logical().Unwrap(w.WrapInfo.Token)
	p.ok("unwrap under default", err)
	p.expect(un.Data["x"] == "y", "unwrapped %v", un.Data)
	h, err := c.Logical().Write("sys/tools/hash/sha2-256", map[string]interface{}{"input": "aGVsbG8="})
	p.ok("sys/tools/hash under default", err)
	p.expect(h.Data["sum"] == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "hash %v", h.Data)
	_, err = c.Sys().Lookup("database/creds/none/x")
	p.expectStatus("sys/leases/lookup under default (allowed, unknown lease)", err, 400, "invalid lease")

	_, err = c.Sys().ListMounts()
	p.expectStatus("Sys().ListMounts under default", err, 403, "permission denied")
	_, err = c.Logical().Read("secret/data/x")
	p.expectStatus("kv read under default", err, 403, "permission denied")
	_, err = c.Auth().Token().Create(&vault.TokenCreateRequest{})
	p.expectStatus("token create under default", err, 403, "permission denied")
	_, err = c.Sys().ListPolicies()
	p.expectStatus("Sys().ListPolicies under default", err, 403, "permission denied")

	p.ok("RevokeSelf under default", c.Auth().Token().RevokeSelf(""))
}
