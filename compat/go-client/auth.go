package main

import (
	"context"
	"net/http"
	"strings"

	vault "github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/userpass"
)

func checkUserpass(p *probe) {
	sys := p.root.Sys()
	mount := "go-userpass-" + p.suffix
	p.ok("Sys().EnableAuthWithOptions userpass", sys.EnableAuthWithOptions(mount, &vault.EnableAuthOptions{Type: "userpass"}))
	defer func() { _ = sys.DisableAuth(mount) }()
	pol := "go-up-" + p.suffix
	p.ok("Sys().PutPolicy", sys.PutPolicy(pol, "path \"secret/data/up/*\" { capabilities = [\"create\", \"read\", \"update\"] }\n"))
	defer func() { _ = sys.DeletePolicy(pol) }()

	l := p.root.Logical()
	_, err := l.Write("auth/"+mount+"/users/alice", map[string]interface{}{
		"password": "s3cret-pw", "token_policies": pol, "token_ttl": "20m", "token_max_ttl": "1h",
	})
	p.ok("Logical().Write userpass user", err)
	u, err := l.Read("auth/" + mount + "/users/alice")
	p.ok("Logical().Read userpass user", err)
	p.expect(u != nil && sameSet(stringsOf(u.Data["token_policies"]), []string{pol}), "user read: %v", dataOf(u))
	_, hasPassword := u.Data["password"]
	p.expect(!hasPassword, "user read shows the password")
	list, err := l.List("auth/" + mount + "/users")
	p.ok("Logical().List userpass users", err)
	p.expect(list != nil && sameSet(stringsOf(list.Data["keys"]), []string{"alice"}), "user list %v", dataOf(list))

	// Login is an unauthenticated write; the Go client sends whatever token it holds.
	anon := p.clientWith("")
	anon.ClearToken()
	login, err := anon.Logical().Write("auth/"+mount+"/login/alice", map[string]interface{}{"password": "s3cret-pw"})
	p.ok("Logical().Write login", err)
	p.expect(login != nil && login.Auth != nil, "login: no auth block")
	a := login.Auth
	p.expect(a.ClientToken != "" && a.Accessor != "", "login: token %q accessor %q", a.ClientToken, a.Accessor)
	p.expect(sameSet(a.Policies, []string{"default", pol}) && sameSet(a.TokenPolicies, []string{"default", pol}), "login policies %v token_policies %v", a.Policies, a.TokenPolicies)
	p.expect(a.Metadata["username"] == "alice", "login metadata %v", a.Metadata)
	p.expect(a.LeaseDuration == 1200 && a.Renewable, "login lease_duration %d renewable %v", a.LeaseDuration, a.Renewable)
	// entity_id is left to the identity tests: whether a login makes an entity is theirs.
	p.expect(login.LeaseID == "" && login.Data == nil, "login: lease_id %q data %v", login.LeaseID, login.Data)

	user := p.clientWith(a.ClientToken)
	self, err := user.Auth().Token().LookupSelf()
	p.ok("LookupSelf of a userpass token", err)
	p.expect(self.Data["path"] == "auth/"+mount+"/login/alice", "userpass token path %v", self.Data["path"])
	p.expect(self.Data["display_name"] == mount+"-alice", "userpass token display_name %v, want %s-alice", self.Data["display_name"], mount)
	meta, err := self.TokenMetadata()
	p.ok("TokenMetadata of a userpass token", err)
	p.expect(meta["username"] == "alice", "userpass token meta %v", meta)

	// The token works within its policy and is refused outside it.
	_, err = user.KVv2("secret").Put(context.Background(), "up/x", map[string]interface{}{"a": "b"})
	p.ok("KVv2.Put with a userpass token", err)
	_, err = user.KVv2("secret").Put(context.Background(), "elsewhere", map[string]interface{}{"a": "b"})
	p.expectStatus("KVv2.Put outside the policy", err, http.StatusForbidden, "permission denied")

	renewed, err := user.Auth().Token().RenewSelf(600)
	p.ok("RenewSelf of a userpass token", err)
	p.expect(renewed.Auth.LeaseDuration == 600 && renewed.Auth.ClientToken == a.ClientToken, "userpass renew-self: %+v", renewed.Auth)

	// The login helper the Go API ships for userpass (its own module), through
	// client.Auth().Login, which adopts the token it gets.
	helper, err := userpass.NewUserpassAuth("alice", &userpass.Password{FromString: "s3cret-pw"}, userpass.WithMountPath(mount))
	p.ok("userpass.NewUserpassAuth", err)
	fresh := p.clientWith("")
	fresh.ClearToken()
	hs, err := fresh.Auth().Login(context.Background(), helper)
	p.ok("Auth().Login with the userpass helper", err)
	p.expect(hs != nil && hs.Auth != nil && fresh.Token() == hs.Auth.ClientToken, "Auth().Login did not adopt the token: %+v", hs)
	_, err = fresh.Auth().Token().LookupSelf()
	p.ok("LookupSelf after Auth().Login", err)
	bad, err := userpass.NewUserpassAuth("alice", &userpass.Password{FromString: "nope"}, userpass.WithMountPath(mount))
	p.ok("userpass.NewUserpassAuth (wrong password)", err)
	_, err = p.clientWith("").Auth().Login(context.Background(), bad)
	p.expectStatus("Auth().Login with a wrong password", err, 400, "invalid username or password")

	_, err = anon.Logical().Write("auth/"+mount+"/login/alice", map[string]interface{}{"password": "wrong"})
	p.expectStatus("login with a wrong password", err, 400, "invalid username or password")
	_, err = anon.Logical().Write("auth/"+mount+"/login/nobody", map[string]interface{}{"password": "x"})
	p.expectStatus("login of an unknown user", err, 400, "invalid username or password")

	_, err = l.Write("auth/"+mount+"/users/alice/password", map[string]interface{}{"password": "new-pw"})
	p.ok("Logical().Write userpass password", err)
	_, err = anon.Logical().Write("auth/"+mount+"/login/alice", map[string]interface{}{"password": "new-pw"})
	p.ok("login with the new password", err)

	_, err = l.Delete("auth/" + mount + "/users/alice")
	p.ok("Logical().Delete userpass user", err)
	_, err = anon.Logical().Write("auth/"+mount+"/login/alice", map[string]interface{}{"password": "new-pw"})
	p.expectStatus("login of a deleted user", err, 400, "")
}

func checkErrors(p *probe) {
	l := p.root.Logical()
	// No token: Vault answers 403 "permission denied" (never 401), hvac's and Go's is_authenticated rely on it.
	anon := p.clientWith("")
	anon.ClearToken()
	_, err := anon.Logical().Read("secret/data/x")
	p.expectStatus("Read without a token", err, 403, "permission denied")
	bad := p.clientWith("hvs.invalidtokenvalue")
	_, err = bad.Logical().Read("secret/data/x")
	p.expectStatus("Read with an unknown token", err, 403, "permission denied")
	_, err = bad.Auth().Token().LookupSelf()
	p.expectStatus("LookupSelf with an unknown token", err, 403, "permission denied")

	// A path under no mount.
	_, err = l.Write("no-such-mount-"+p.suffix+"/x", map[string]interface{}{"a": "b"})
	p.expectStatus("Write under no mount", err, 404, "no handler for route")
	// An unsupported operation on a known path.
	_, err = l.Delete("sys/health")
	p.expectStatus("DELETE sys/health", err, 405, "")
	// A bad field value is a 400.
	_, err = l.Write("sys/mounts/go-bad-"+p.suffix, map[string]interface{}{"type": "no-such-engine"})
	p.expectStatus("mount of an unknown type", err, 400, "")

	// Raw requests: the errors body and content type as Vault sends them.
	req := p.root.NewRequest(http.MethodGet, "/v1/secret/data/go-missing-"+p.suffix)
	resp, err := p.root.RawRequestWithContext(context.Background(), req)
	re := p.expectStatus("raw GET of a missing key", err, 404, "")
	p.expect(len(re.Errors) == 0, "404 body errors %q, want []", re.Errors)
	if resp != nil {
		ct := resp.Header.Get("Content-Type")
		p.expect(ct == "application/json", "404 content type %q", ct)
		resp.Body.Close()
	}

	// Go's CLI and api retry a 5xx; a 4xx must never be reported as one.
	_, err = l.Write("sys/policies/acl/"+strings.Repeat("x", 3), map[string]interface{}{})
	p.expectStatus("policy write without a policy", err, 400, "")
}
