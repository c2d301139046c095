// Command go-client drives a running Mayfly (or Vault) with HashiCorp's official Go
// client, github.com/hashicorp/vault/api, the way application code uses it, and checks
// every answer. It reads VAULT_ADDR and VAULT_TOKEN (a root token) like any Vault
// program, creates everything it needs under names of its own, runs every section, and
// exits 1 naming the first failed check of each failed section.
//
// Optional: COMPAT_DB_CREDS_PATH (e.g. "database/creds/ro") names a role whose
// credentials carry a lease; the lease calls (Sys().Lookup/Renew/Revoke/RevokePrefix)
// are then exercised on it.
package main

import (
	"fmt"
	"os"
	"strings"

	vault "github.com/hashicorp/vault/api"
)

// probe holds the root client and a unique suffix so that runs never collide.
type probe struct {
	root   *vault.Client
	suffix string
	checks int
}

// failure is what a failed check panics with; main turns it into a message and exit 1.
type failure struct{ msg string }

func (p *probe) failf(format string, args ...interface{}) {
	panic(failure{fmt.Sprintf(format, args...)})
}

// ok fails the probe when err is not nil.
func (p *probe) ok(what string, err error) {
	p.checks++
	if err != nil {
		p.failf("%s: unexpected error: %v", what, err)
	}
}

// expect fails the probe when cond is false.
func (p *probe) expect(cond bool, format string, args ...interface{}) {
	p.checks++
	if !cond {
		p.failf(format, args...)
	}
}

// newClient makes a client for VAULT_ADDR with the given token and no retries, so that
// a 5xx shows at once instead of after the client's back-off.
func newClient(token string) (*vault.Client, error) {
	cfg := vault.DefaultConfig()
	if cfg.Error != nil {
		return nil, cfg.Error
	}
	cfg.MaxRetries = 0
	c, err := vault.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.SetToken(token)
	return c, nil
}

func (p *probe) clientWith(token string) *vault.Client {
	c, err := newClient(token)
	p.ok("new client", err)
	return c
}

type section struct {
	name string
	run  func(*probe)
}

func main() {
	if os.Getenv("VAULT_ADDR") == "" || os.Getenv("VAULT_TOKEN") == "" {
		fmt.Fprintln(os.Stderr, "go-client: set VAULT_ADDR and VAULT_TOKEN (a root token)")
		os.Exit(2)
	}
	root, err := newClient(os.Getenv("VAULT_TOKEN"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-client: %v\n", err)
		os.Exit(2)
	}
	p := &probe{root: root, suffix: randomSuffix()}

	sections := []section{
		{"sys health and seal status", checkHealth},
		{"sys mounts", checkMounts},
		{"sys auth", checkAuthMounts},
		{"sys policies", checkPolicies},
		{"sys audit", checkAudit},
		{"sys capabilities", checkCapabilities},
		{"tokens", checkTokens},
		{"default policy", checkDefaultPolicy},
		{"logical", checkLogical},
		{"kv v2", checkKVv2},
		{"kv v1", checkKVv1},
		{"userpass", checkUserpass},
		{"errors", checkErrors},
		{"leases", checkLeases},
		{"database", checkDatabase},
		{"more", checkMore},
		{"sys extra", checkSysExtra},
		{"wrapping", checkWrapping},
		{"init", checkInit},
		// Last: a sealed server refuses everything else.
		{"seal", checkSeal},
	}
	only := os.Getenv("COMPAT_ONLY")
	failed := 0
	for _, s := range sections {
		if only != "" && !strings.Contains(only, s.name) {
			continue
		}
		if !runSection(p, s) {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "go-client: %d section(s) failed\n", failed)
		os.Exit(1)
	}
	fmt.Printf("go-client: all %d checks passed\n", p.checks)
}

func runSection(p *probe, s section) (passed bool) {
	defer func() {
		if r := recover(); r != nil {
			if f, ok := r.(failure); ok {
				fmt.Fprintf(os.Stderr, "go-client: FAIL [%s] %s\n", s.name, f.msg)
				passed = false
				return
			}
			panic(r)
		}
	}()
	s.run(p)
	fmt.Printf("go-client: ok   [%s]\n", s.name)
	return true
}
