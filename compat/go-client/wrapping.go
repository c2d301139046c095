package main

import (
	"context"
	"time"

	vault "github.com/hashicorp/vault/api"
)

// checkWrapping wraps responses the way Go programs ask for it (a wrapping lookup
// function that names a TTL per request) and unwraps them with Logical().Unwrap.
func checkWrapping(p *probe) {
	ctx := context.Background()
	path := "go-wrap-" + p.suffix
	_, err := p.root.KVv2("secret").Put(ctx, path, map[string]interface{}{"k": "v"})
	p.ok("KVv2.Put", err)

	w := p.clientWith(p.root.Token())
	w.SetWrappingLookupFunc(func(operation, path string) string { return "5m" })
	wrapped, err := w.Logical().Read("secret/data/" + path)
	p.ok("wrapped Logical().Read", err)
	p.expect(wrapped != nil && wrapped.WrapInfo != nil && wrapped.Data == nil, "wrapped read: %+v", wrapped)
	wi := wrapped.WrapInfo
	p.expect(wi.Token != "" && wi.Accessor != "" && wi.TTL == 300 && wi.CreationPath == "secret/data/"+path, "wrap_info %+v", wi)
	p.expect(time.Since(wi.CreationTime) < time.Minute, "wrap_info creation_time %v", wi.CreationTime)

	look, err := p.root.Logical().Write("sys/wrapping/lookup", map[string]interface{}{"token": wi.Token})
	p.ok("sys/wrapping/lookup", err)
	p.expect(look.Data["creation_path"] == "secret/data/"+path, "wrapping lookup %v", look.Data)

	// Unwrap with a client that holds only the wrapping token, as a workload given it does.
	only := p.clientWith("")
	only.ClearToken()
	un, err := only.Logical().Unwrap(wi.Token)
	p.ok("Logical().Unwrap with the wrapping token as the client token", err)
	inner, _ := un.Data["data"].(map[string]interface{})
	p.expect(inner["k"] == "v", "unwrapped data %v", un.Data)
	_, err = p.root.Logical().Unwrap(wi.Token)
	p.expectStatus("second unwrap", err, 400, "wrapping token is not valid or does not exist")

	// A wrapped token creation, unwrapped by another token (the token goes in the body).
	tw := p.clientWith(p.root.Token())
	tw.SetWrappingLookupFunc(func(operation, path string) string { return "2m" })
	created, err := tw.Auth().Token().Create(&vault.TokenCreateRequest{TTL: "10m"})
	p.ok("wrapped Token().Create", err)
	p.expect(created.WrapInfo != nil && created.Auth == nil && created.WrapInfo.WrappedAccessor != "", "wrapped create %+v", created)
	un, err = p.root.Logical().Unwrap(created.WrapInfo.Token)
	p.ok("Logical().Unwrap by another token", err)
	p.expect(un.Auth != nil && un.Auth.Accessor == created.WrapInfo.WrappedAccessor, "unwrapped auth %+v", un.Auth)

	// sys/wrapping/wrap wraps arbitrary data; the client defaults its TTL to 5m.
	ww, err := p.root.Logical().Write("sys/wrapping/wrap", map[string]interface{}{"secret": "s"})
	p.ok("sys/wrapping/wrap", err)
	p.expect(ww.WrapInfo != nil && ww.WrapInfo.TTL == 300, "sys/wrapping/wrap %+v", ww.WrapInfo)
	un, err = p.root.Logical().Unwrap(ww.WrapInfo.Token)
	p.ok("unwrap of sys/wrapping/wrap", err)
	p.expect(un.Data["secret"] == "s", "unwrapped wrap %v", un.Data)
}
