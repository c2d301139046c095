package main

import (
	"encoding/json"
	"time"

	vault "github.com/hashicorp/vault/api"
)

func checkTokens(p *probe) {
	tokens := p.root.Auth().Token()
	pol := "go-tok-" + p.suffix
	// The default policy does not let a token create children; this one does.
	p.ok("Sys().PutPolicy", p.root.Sys().PutPolicy(pol, "path \"secret/*\" { capabilities = [\"read\"] }\npath \"auth/token/create\" { capabilities = [\"update\"] }\n"))
	defer func() { _ = p.root.Sys().DeletePolicy(pol) }()

	renewable := true
	created, err := tokens.Create(&vault.TokenCreateRequest{
		Policies: []string{pol}, Metadata: map[string]string{"app": "probe"}, TTL: "1h",
		ExplicitMaxTTL: "10h", DisplayName: "probe", Renewable: &renewable,
	})
	p.ok("Token().Create", err)
	p.expect(created != nil && created.Auth != nil, "Token().Create: no auth block: %+v", created)
	a := created.Auth
	p.expect(a.ClientToken != "" && a.Accessor != "", "Create: empty client_token or accessor")
	p.expect(sameSet(a.Policies, []string{"default", pol}), "Create: policies %v", a.Policies)
	p.expect(sameSet(a.TokenPolicies, []string{"default", pol}), "Create: token_policies %v", a.TokenPolicies)
	p.expect(a.LeaseDuration == 3600 && a.Renewable, "Create: lease_duration %d renewable %v", a.LeaseDuration, a.Renewable)
	p.expect(a.Metadata["app"] == "probe", "Create: metadata %v", a.Metadata)
	p.expect(!a.Orphan, "Create: a child of root reported as orphan")
	id, err := created.TokenID()
	p.ok("Secret.TokenID", err)
	p.expect(id == a.ClientToken, "TokenID %q", id)

	look, err := tokens.Lookup(a.ClientToken)
	p.ok("Token().Lookup", err)
	p.expect(look.Data["id"] == a.ClientToken && look.Data["accessor"] == a.Accessor, "Lookup: id/accessor %v/%v", look.Data["id"], look.Data["accessor"])
	p.expect(look.Data["display_name"] == "token-probe", "Lookup: display_name %v, want token-probe", look.Data["display_name"])
	p.expect(look.Data["path"] == "auth/token/create", "Lookup: path %v", look.Data["path"])
	p.expect(look.Data["type"] == "service", "Lookup: type %v", look.Data["type"])
	p.expect(look.Data["expire_time"] != nil, "Lookup: expire_time null for a token with a TTL")
	if _, err := time.Parse(time.RFC3339Nano, p.str("Lookup", look.Data, "expire_time")); err != nil {
		p.failf("Lookup: expire_time not RFC 3339: %v", err)
	}
	for _, k := range []string{"creation_time", "creation_ttl", "ttl", "explicit_max_ttl", "num_uses"} {
		_, isNum := look.Data[k].(json.Number)
		p.expect(isNum, "Lookup: %s is %T (%v), want a number", k, look.Data[k], look.Data[k])
	}
	p.expect(look.Data["explicit_max_ttl"] == json.Number("36000"), "Lookup: explicit_max_ttl %v", look.Data["explicit_max_ttl"])
	ttl, err := look.TokenTTL()
	p.ok("Secret.TokenTTL", err)
	p.expect(ttl > 50*time.Minute && ttl <= time.Hour, "TokenTTL %v", ttl)
	pols, err := look.TokenPolicies()
	p.ok("Secret.TokenPolicies", err)
	p.expect(sameSet(pols, []string{"default", pol}), "TokenPolicies %v", pols)
	meta, err := look.TokenMetadata()
	p.ok("Secret.TokenMetadata", err)
	p.expect(meta["app"] == "probe", "TokenMetadata %v", meta)
	ren, err := look.TokenIsRenewable()
	p.ok("Secret.TokenIsRenewable", err)
	p.expect(ren, "TokenIsRenewable false")
	uses, err := look.TokenRemainingUses()
	p.ok("Secret.TokenRemainingUses", err)
	p.expect(uses == 0, "TokenRemainingUses %d", uses)

	byAcc, err := tokens.LookupAccessor(a.Accessor)
	p.ok("Token().LookupAccessor", err)
	p.expect(byAcc.Data["accessor"] == a.Accessor && (byAcc.Data["id"] == "" || byAcc.Data["id"] == nil), "LookupAccessor: %v (id must be hidden)", byAcc.Data)

	child := p.clientWith(a.ClientToken)
	self, err := child.Auth().Token().LookupSelf()
	p.ok("Token().LookupSelf", err)
	p.expect(self.Data["id"] == a.ClientToken, "LookupSelf id %v", self.Data["id"])
	_, hasLastRenewal := self.Data["last_renewal_time"]
	p.expect(!hasLastRenewal, "LookupSelf: last_renewal_time present before any renewal")

	rootSelf, err := tokens.LookupSelf()
	p.ok("Token().LookupSelf (root)", err)
	p.expect(rootSelf.Data["expire_time"] == nil && rootSelf.Data["ttl"] == json.Number("0"), "root LookupSelf: expire_time %v ttl %v", rootSelf.Data["expire_time"], rootSelf.Data["ttl"])
	p.expect(sameSet(mustPolicies(p, rootSelf), []string{"root"}), "root LookupSelf policies %v", rootSelf.Data["policies"])

	// increment 0 renews by the token's own TTL.
	renewed, err := child.Auth().Token().RenewSelf(0)
	p.ok("Token().RenewSelf", err)
	p.expect(renewed.Auth != nil && renewed.Auth.ClientToken == a.ClientToken && renewed.Auth.LeaseDuration == 3600,
		"RenewSelf(0): %+v, want the same token and its own TTL (3600)", renewed.Auth)
	self, err = child.Auth().Token().LookupSelf()
	p.ok("Token().LookupSelf after renew", err)
	_, hasLastRenewal = self.Data["last_renewal_time"]
	p.expect(hasLastRenewal, "LookupSelf: no last_renewal_time after a renewal")

	renewed, err = tokens.Renew(a.ClientToken, 7200)
	p.ok("Token().Renew", err)
	p.expect(renewed.Auth != nil && renewed.Auth.ClientToken == a.ClientToken, "Renew: auth %+v, want the same token", renewed.Auth)
	p.expect(renewed.Auth.LeaseDuration == 7200, "Renew: lease_duration %d, want 7200", renewed.Auth.LeaseDuration)
	renewed, err = tokens.RenewAccessor(a.Accessor, 1800)
	p.ok("Token().RenewAccessor", err)
	p.expect(renewed.Auth != nil && renewed.Auth.LeaseDuration == 1800, "RenewAccessor: %+v", renewed.Auth)
	p.expect(renewed.Auth.ClientToken == "", "RenewAccessor revealed the token")
	renewed, err = child.Auth().Token().RenewTokenAsSelf(a.ClientToken, 600)
	p.ok("Token().RenewTokenAsSelf", err)
	p.expect(renewed.Auth != nil && renewed.Auth.LeaseDuration == 600, "RenewTokenAsSelf: %+v", renewed.Auth)
	// Vault keeps the TTL of the latest renewal: increment 0 now grants 600, not 3600.
	renewed, err = child.Auth().Token().RenewSelf(0)
	p.ok("Token().RenewSelf(0) after renewals", err)
	p.expect(renewed.Auth != nil && renewed.Auth.LeaseDuration == 600, "RenewSelf(0) after a renewal to 600: %+v", renewed.Auth)

	checkLifetimeWatcher(p, created)

	// A child of the child, then orphans, then each revoke flavour.
	grand, err := child.Auth().Token().Create(&vault.TokenCreateRequest{Policies: []string{pol}, TTL: "10m"})
	p.ok("Token().Create by a child", err)
	orphan, err := tokens.CreateOrphan(&vault.TokenCreateRequest{Policies: []string{pol}, TTL: "10m"})
	p.ok("Token().CreateOrphan", err)
	p.expect(orphan.Auth.Orphan, "CreateOrphan: auth.orphan false")
	ol, err := tokens.Lookup(orphan.Auth.ClientToken)
	p.ok("Token().Lookup orphan", err)
	p.expect(ol.Data["orphan"] == true && ol.Data["path"] == "auth/token/create-orphan", "orphan lookup: orphan %v path %v", ol.Data["orphan"], ol.Data["path"])
	noParent, err := tokens.Create(&vault.TokenCreateRequest{NoParent: true, TTL: "10m"})
	p.ok("Token().Create no_parent", err)
	p.expect(noParent.Auth.Orphan, "Create with no_parent: not an orphan")

	batch, err := tokens.Create(&vault.TokenCreateRequest{Type: "batch", Policies: []string{pol}, TTL: "10m"})
	p.ok("Token().Create batch", err)
	p.expect(batch.Auth.Accessor == "" && !batch.Auth.Renewable, "batch token: accessor %q renewable %v", batch.Auth.Accessor, batch.Auth.Renewable)
	bl, err := tokens.Lookup(batch.Auth.ClientToken)
	p.ok("Token().Lookup batch", err)
	p.expect(bl.Data["type"] == "batch", "batch lookup type %v", bl.Data["type"])

	// Revoking the child's token alone (revoke-orphan) leaves its child alive, as an orphan.
	p.ok("Token().RevokeOrphan", tokens.RevokeOrphan(a.ClientToken))
	gl, err := tokens.Lookup(grand.Auth.ClientToken)
	p.ok("Token().Lookup after the parent's revoke-orphan", err)
	p.expect(gl.Data["orphan"] == true, "grandchild not orphaned after revoke-orphan of its parent: %v", gl.Data["orphan"])
	_, err = tokens.Lookup(a.ClientToken)
	p.expectStatus("Token().Lookup of a revoked token", err, 403, "")

	// revoke (tree) takes children with it.
	parent, err := tokens.Create(&vault.TokenCreateRequest{TTL: "10m"})
	p.ok("Token().Create parent", err)
	pc := p.clientWith(parent.Auth.ClientToken)
	kid, err := pc.Auth().Token().Create(&vault.TokenCreateRequest{TTL: "5m"})
	p.ok("Token().Create kid", err)
	p.ok("Token().RevokeTree", tokens.RevokeTree(parent.Auth.ClientToken))
	_, err = tokens.Lookup(kid.Auth.ClientToken)
	p.expectStatus("Token().Lookup of a revoked tree's child", err, 403, "")

	p.ok("Token().RevokeAccessor", tokens.RevokeAccessor(orphan.Auth.Accessor))
	_, err = tokens.Lookup(orphan.Auth.ClientToken)
	p.expectStatus("Token().Lookup after RevokeAccessor", err, 403, "")

	gc := p.clientWith(grand.Auth.ClientToken)
	p.ok("Token().RevokeSelf", gc.Auth().Token().RevokeSelf(""))
	_, err = gc.Auth().Token().LookupSelf()
	p.expectStatus("LookupSelf with a revoked token", err, 403, "permission denied")

	// Errors the client code branches on.
	_, err = tokens.Create(&vault.TokenCreateRequest{Type: "nonsense"})
	p.expectStatus("Token().Create with an unknown type", err, 400, "")
	_, err = tokens.Lookup("hvs.not-a-real-token")
	p.expectStatus("Token().Lookup of an unknown token", err, 403, "bad token")
	// Current Vault answers 200 with the warning "No token found with this accessor".
	p.ok("Token().RevokeAccessor of an unknown accessor", tokens.RevokeAccessor("not-an-accessor"))
}

// checkLifetimeWatcher renews a token the way long-running Go programs do: the watcher
// renews at once, then sleeps for two thirds of the lease.
func checkLifetimeWatcher(p *probe, token *vault.Secret) {
	c := p.clientWith(token.Auth.ClientToken)
	w, err := c.NewLifetimeWatcher(&vault.LifetimeWatcherInput{Secret: token, Increment: 3600})
	p.ok("NewLifetimeWatcher", err)
	go w.Start()
	defer w.Stop()
	select {
	case out := <-w.RenewCh():
		p.expect(out.Secret != nil && out.Secret.Auth != nil && out.Secret.Auth.LeaseDuration == 3600, "LifetimeWatcher renewal: %+v", out.Secret)
	case err := <-w.DoneCh():
		p.failf("LifetimeWatcher stopped before renewing: %v", err)
	case <-time.After(10 * time.Second):
		p.failf("LifetimeWatcher: no renewal within 10s")
	}
}

func mustPolicies(p *probe, s *vault.Secret) []string {
	pols, err := s.TokenPolicies()
	p.ok("Secret.TokenPolicies", err)
	return pols
}
