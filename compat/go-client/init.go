package main

import (
	"fmt"
	"os"

	vault "github.com/hashicorp/vault/api"
)

// checkInit takes a fresh server (COMPAT_UNINIT_ADDR) from uninitialised to serving, as
// operators' Go tooling does: health and seal status before init, Init with shares,
// Unseal share by share, then the root token in use, then seal and health again.
func checkInit(p *probe) {
	addr := os.Getenv("COMPAT_UNINIT_ADDR")
	if addr == "" {
		fmt.Println("go-client: init: COMPAT_UNINIT_ADDR not set, init/unseal skipped")
		return
	}
	cfg := vault.DefaultConfig()
	cfg.Address = addr
	cfg.MaxRetries = 0
	c, err := vault.NewClient(cfg)
	p.ok("NewClient for the fresh server", err)
	c.ClearToken()
	sys := c.Sys()

	h, err := sys.Health()
	p.ok("Sys().Health uninitialised (uninitcode=299)", err)
	p.expect(!h.Initialized && h.Sealed, "fresh health %+v", h)
	inited, err := sys.InitStatus()
	p.ok("Sys().InitStatus", err)
	p.expect(!inited, "InitStatus true on a fresh server")
	st, err := sys.SealStatus()
	p.ok("Sys().SealStatus uninitialised", err)
	p.expect(!st.Initialized && st.Sealed && st.Type == "shamir", "fresh seal status %+v", st)
	_, err = c.Logical().Read("sys/mounts")
	p.expectStatus("read before init", err, 503, "")

	res, err := sys.Init(&vault.InitRequest{SecretShares: 3, SecretThreshold: 2})
	p.ok("Sys().Init", err)
	p.expect(len(res.Keys) == 3 && len(res.KeysB64) == 3 && res.RootToken != "", "Init: %d keys, %d b64, root %q", len(res.Keys), len(res.KeysB64), res.RootToken)
	_, err = sys.Init(&vault.InitRequest{SecretShares: 1, SecretThreshold: 1})
	p.expectStatus("second Sys().Init", err, 400, "already initialized")

	st, err = sys.Unseal(res.Keys[0])
	p.ok("Sys().Unseal first share (hex)", err)
	p.expect(st.Sealed && st.Progress == 1 && st.T == 2 && st.N == 3 && st.Nonce != "", "after one share %+v", st)
	st, err = sys.UnsealWithOptions(&vault.UnsealOpts{Key: res.KeysB64[1]})
	p.ok("Sys().UnsealWithOptions second share (base64)", err)
	p.expect(!st.Sealed && st.Progress == 0, "after two shares %+v", st)

	c.SetToken(res.RootToken)
	self, err := c.Auth().Token().LookupSelf()
	p.ok("LookupSelf with the new root token", err)
	p.expect(sameSet(mustPolicies(p, self), []string{"root"}), "new root token policies %v", self.Data["policies"])
	mounts, err := sys.ListMounts()
	p.ok("Sys().ListMounts on the fresh server", err)
	p.expect(mounts["secret/"] == nil && mounts["cubbyhole/"] != nil, "fresh server mounts %v (no secret/ outside dev mode)", keys(mounts))

	// Root generation and rekey, started and cancelled as operator tooling does.
	gr, err := sys.GenerateRootStatus()
	p.ok("Sys().GenerateRootStatus", err)
	p.expect(!gr.Started && gr.Required == 2, "generate-root status %+v", gr)
	gr, err = sys.GenerateRootInit("", "")
	p.ok("Sys().GenerateRootInit with a server OTP", err)
	p.expect(gr.Started && gr.Nonce != "" && gr.OTP != "" && gr.OTPLength == len(gr.OTP), "generate-root init %+v", gr)
	gr, err = sys.GenerateRootUpdate(res.KeysB64[0], gr.Nonce)
	p.ok("Sys().GenerateRootUpdate", err)
	p.expect(gr.Progress == 1 && !gr.Complete, "generate-root update %+v", gr)
	p.ok("Sys().GenerateRootCancel", sys.GenerateRootCancel())
	rk, err := sys.RekeyStatus()
	p.ok("Sys().RekeyStatus", err)
	p.expect(!rk.Started, "rekey status %+v", rk)
	rk, err = sys.RekeyInit(&vault.RekeyInitRequest{SecretShares: 5, SecretThreshold: 3})
	p.ok("Sys().RekeyInit", err)
	p.expect(rk.Started && rk.N == 5 && rk.T == 3 && rk.Required == 2 && rk.Nonce != "", "rekey init %+v", rk)
	p.ok("Sys().RekeyCancel", sys.RekeyCancel())
	rk, err = sys.RekeyStatus()
	p.ok("Sys().RekeyStatus after cancel", err)
	p.expect(!rk.Started, "rekey still started after cancel %+v", rk)

	p.ok("Sys().Seal", sys.Seal())
	h, err = sys.Health()
	p.ok("Sys().Health sealed", err)
	p.expect(h.Initialized && h.Sealed, "sealed health %+v", h)
}
