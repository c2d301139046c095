package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	vault "github.com/hashicorp/vault/api"
)

// checkLeases needs a role whose credentials carry a lease (COMPAT_DB_CREDS_PATH, e.g.
// "database/creds/ro" with default_ttl 1h and max_ttl 24h); without one it only checks
// the errors for unknown leases.
func checkLeases(p *probe) {
	sys := p.root.Sys()
	_, err := sys.Lookup("database/creds/none/" + p.suffix)
	p.expectStatus("Sys().Lookup of an unknown lease", err, 400, "invalid lease")
	_, err = sys.Renew("database/creds/none/"+p.suffix, 0)
	p.expectStatus("Sys().Renew of an unknown lease", err, 400, "lease not found")
	// Revoking an unknown lease is not an error in Vault.
	p.ok("Sys().Revoke of an unknown lease", sys.Revoke("database/creds/none/"+p.suffix))

	credsPath := os.Getenv("COMPAT_DB_CREDS_PATH")
	if credsPath == "" {
		fmt.Println("go-client: leases: COMPAT_DB_CREDS_PATH not set, lease life cycle skipped")
		return
	}
	issue := func() *vault.Secret {
		s, err := p.root.Logical().Read(credsPath)
		p.ok("Logical().Read "+credsPath, err)
		p.expect(s != nil && s.LeaseID != "" && s.Renewable && s.LeaseDuration > 0, "creds: lease %q renewable %v duration %d", s.LeaseID, s.Renewable, s.LeaseDuration)
		p.expect(strings.HasPrefix(s.LeaseID, credsPath+"/"), "lease id %q does not start with %s/", s.LeaseID, credsPath)
		p.str("creds", s.Data, "username")
		p.str("creds", s.Data, "password")
		return s
	}
	s := issue()

	look, err := sys.Lookup(s.LeaseID)
	p.ok("Sys().Lookup", err)
	p.expect(look.Data["id"] == s.LeaseID && look.Data["renewable"] == true, "Lookup: %v", look.Data)
	if _, err := time.Parse(time.RFC3339Nano, p.str("Lookup", look.Data, "issue_time")); err != nil {
		p.failf("Lookup: issue_time not RFC 3339: %v", err)
	}
	_, isNum := look.Data["ttl"].(json.Number)
	p.expect(isNum, "Lookup: ttl is %T", look.Data["ttl"])

	renewed, err := sys.Renew(s.LeaseID, 600)
	p.ok("Sys().Renew", err)
	p.expect(renewed.LeaseID == s.LeaseID && renewed.LeaseDuration == 600 && renewed.Renewable, "Renew: %+v", renewed)

	// The lease watcher Go programs run beside their credentials.
	w, err := p.root.NewLifetimeWatcher(&vault.LifetimeWatcherInput{Secret: s, Increment: 900})
	p.ok("NewLifetimeWatcher for a lease", err)
	go w.Start()
	select {
	case out := <-w.RenewCh():
		p.expect(out.Secret.LeaseID == s.LeaseID && out.Secret.LeaseDuration == 900, "LifetimeWatcher lease renewal: %+v", out.Secret)
	case err := <-w.DoneCh():
		p.failf("LifetimeWatcher stopped before renewing the lease: %v", err)
	case <-time.After(10 * time.Second):
		p.failf("LifetimeWatcher: no lease renewal within 10s")
	}
	w.Stop()

	list, err := p.root.Logical().List("sys/leases/lookup/" + credsPath)
	p.ok("Logical().List sys/leases/lookup", err)
	p.expect(list != nil && len(stringsOf(list.Data["keys"])) >= 1, "lease list: %v", dataOf(list))

	p.ok("Sys().Revoke", sys.Revoke(s.LeaseID))
	_, err = sys.Lookup(s.LeaseID)
	p.expectStatus("Sys().Lookup after Revoke", err, 400, "invalid lease")

	s1, s2 := issue(), issue()
	p.ok("Sys().RevokePrefix", sys.RevokePrefix(credsPath))
	for _, id := range []string{s1.LeaseID, s2.LeaseID} {
		_, err = sys.Lookup(id)
		p.expectStatus("Sys().Lookup after RevokePrefix", err, 400, "invalid lease")
	}

	// `vault lease revoke` without -sync: 202, queued.
	s3 := issue()
	p.ok("Sys().RevokeWithOptions sync=false", sys.RevokeWithOptions(&vault.RevokeOptions{LeaseID: s3.LeaseID, Sync: false}))
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = sys.Lookup(s3.LeaseID)
		if err != nil {
			p.expectStatus("Sys().Lookup after an async revoke", err, 400, "invalid lease")
			break
		}
		if time.Now().After(deadline) {
			p.failf("lease %s still there 10s after an async revoke", s3.LeaseID)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s4 := issue()
	p.ok("Sys().RevokeForce", sys.RevokeForce(credsPath))
	_, err = sys.Lookup(s4.LeaseID)
	p.expectStatus("Sys().Lookup after RevokeForce", err, 400, "invalid lease")
}
