package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// checkDatabase configures a database mount of its own through Logical(), as Go
// programs and Terraform-style tooling do, from COMPAT_PG_URL (templated with
// {{username}}/{{password}}), COMPAT_PG_USER, COMPAT_PG_PASSWORD and
// COMPAT_PG_STATIC_USER (an existing user for a static role).
func checkDatabase(p *probe) {
	url := os.Getenv("COMPAT_PG_URL")
	if url == "" {
		fmt.Println("go-client: database: COMPAT_PG_URL not set, database engine skipped")
		return
	}
	l := p.root.Logical()
	mount := "go-db-" + p.suffix
	_, err := l.Write("sys/mounts/"+mount, map[string]interface{}{"type": "database"})
	p.ok("mount database", err)
	defer func() { _, _ = l.Delete("sys/mounts/" + mount) }()

	_, err = l.Write(mount+"/config/pg", map[string]interface{}{
		"plugin_name": "postgresql-database-plugin", "connection_url": url,
		"username": os.Getenv("COMPAT_PG_USER"), "password": os.Getenv("COMPAT_PG_PASSWORD"),
		"allowed_roles": "dyn,stat", "verify_connection": true,
	})
	p.ok("Logical().Write database config", err)
	cfg, err := l.Read(mount + "/config/pg")
	p.ok("Logical().Read database config", err)
	details, _ := cfg.Data["connection_details"].(map[string]interface{})
	_, hasPassword := details["password"]
	p.expect(!hasPassword && details["username"] == os.Getenv("COMPAT_PG_USER"), "connection_details %v", details)
	p.expect(sameSet(stringsOf(cfg.Data["allowed_roles"]), []string{"dyn", "stat"}), "allowed_roles %v", cfg.Data["allowed_roles"])

	_, err = l.Write(mount+"/roles/dyn", map[string]interface{}{
		"db_name":             "pg",
		"creation_statements": []string{`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`},
		"default_ttl":         "1h", "max_ttl": "2h",
	})
	p.ok("Logical().Write database role", err)
	role, err := l.Read(mount + "/roles/dyn")
	p.ok("Logical().Read database role", err)
	p.expect(role.Data["default_ttl"] == json.Number("3600") && role.Data["max_ttl"] == json.Number("7200"), "role TTLs %v %v", role.Data["default_ttl"], role.Data["max_ttl"])

	creds, err := l.Read(mount + "/creds/dyn")
	p.ok("Logical().Read database creds", err)
	p.expect(strings.HasPrefix(creds.LeaseID, mount+"/creds/dyn/") && creds.LeaseDuration == 3600 && creds.Renewable, "creds lease %q %d %v", creds.LeaseID, creds.LeaseDuration, creds.Renewable)
	renewed, err := p.root.Sys().Renew(creds.LeaseID, 100000)
	p.ok("Sys().Renew past max_ttl", err)
	p.expect(renewed.LeaseDuration <= 7200 && renewed.LeaseDuration > 7000, "renewal capped at max_ttl: %d", renewed.LeaseDuration)
	p.ok("Sys().Revoke database creds", p.root.Sys().Revoke(creds.LeaseID))

	_, err = l.Read(mount + "/creds/nope")
	p.expectStatus("creds of an unknown role", err, 400, "unknown role: nope")

	if user := os.Getenv("COMPAT_PG_STATIC_USER"); user != "" {
		_, err = l.Write(mount+"/static-roles/stat", map[string]interface{}{
			"db_name": "pg", "username": user, "rotation_period": "1h",
			"rotation_statements": []string{`ALTER USER "{{name}}" WITH PASSWORD '{{password}}';`},
		})
		p.ok("Logical().Write static role", err)
		sc, err := l.Read(mount + "/static-creds/stat")
		p.ok("Logical().Read static creds", err)
		first := p.str("static creds", sc.Data, "password")
		p.expect(sc.Data["username"] == user && sc.Data["rotation_period"] == json.Number("3600"), "static creds %v", sc.Data)
		_, err = l.Write(mount+"/rotate-role/stat", nil)
		p.ok("Logical().Write rotate-role", err)
		sc, err = l.Read(mount + "/static-creds/stat")
		p.ok("Logical().Read static creds after rotation", err)
		p.expect(p.str("static creds", sc.Data, "password") != first, "password unchanged after rotate-role")
		_, err = l.Delete(mount + "/static-roles/stat")
		p.ok("Logical().Delete static role", err)
	}
	list, err := l.List(mount + "/roles")
	p.ok("Logical().List database roles", err)
	p.expect(list != nil && sameSet(stringsOf(list.Data["keys"]), []string{"dyn"}), "roles list %v", dataOf(list))
}
