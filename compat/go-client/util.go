package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"

	vault "github.com/hashicorp/vault/api"
)

func randomSuffix() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func contains(list []string, want string) bool {
	for _, s := range list {
		if s == want {
			return true
		}
	}
	return false
}

// responseError unwraps the client's *api.ResponseError, which callers use to branch on
// the status; nil when err is not one.
func responseError(err error) *vault.ResponseError {
	var re *vault.ResponseError
	if errors.As(err, &re) {
		return re
	}
	return nil
}

// expectStatus checks that err is an *api.ResponseError with the given status and, when
// wantText is not empty, an entry of Errors containing it.
func (p *probe) expectStatus(what string, err error, status int, wantText string) *vault.ResponseError {
	p.checks++
	if err == nil {
		p.failf("%s: expected an error with status %d, got none", what, status)
	}
	re := responseError(err)
	if re == nil {
		p.failf("%s: expected *api.ResponseError, got %T: %v", what, err, err)
	}
	if re.StatusCode != status {
		p.failf("%s: status %d, want %d (errors %q)", what, re.StatusCode, status, re.Errors)
	}
	if re.RawError {
		p.failf("%s: error body was not Vault's JSON {\"errors\": [...]}: %q", what, re.Errors)
	}
	if wantText != "" {
		found := false
		for _, e := range re.Errors {
			if strings.Contains(e, wantText) {
				found = true
			}
		}
		if !found {
			p.failf("%s: errors %q do not mention %q", what, re.Errors, wantText)
		}
	}
	return re
}

// str reads a string field of a secret's data, failing when it is missing or not a string.
func (p *probe) str(what string, data map[string]interface{}, key string) string {
	p.checks++
	v, ok := data[key]
	if !ok {
		p.failf("%s: no %q in %v", what, key, data)
	}
	s, ok := v.(string)
	if !ok {
		p.failf("%s: %q is %T (%v), want a string", what, key, v, v)
	}
	return s
}
