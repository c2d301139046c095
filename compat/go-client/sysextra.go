package main

import (
	"net/http"
	"strings"

	vault "github.com/hashicorp/vault/api"
)

// checkSysExtra drives the sys/ endpoints beyond the core set that the client has
// methods for: HA status, CORS configuration, and the plugin catalog.
func checkSysExtra(p *probe) {
	sys := p.root.Sys()

	ha, err := sys.HAStatus()
	p.ok("Sys().HAStatus", err)
	p.expect(len(ha.Nodes) == 1, "HAStatus: %d nodes, want this node only", len(ha.Nodes))
	node := ha.Nodes[0]
	p.expect(node.ActiveNode, "HAStatus: the only node is not active: %+v", node)
	p.expect(node.Hostname != "" && node.APIAddress != "", "HAStatus: hostname %q api_address %q", node.Hostname, node.APIAddress)
	p.expect(node.LastEcho == nil, "HAStatus: the active node has a last_echo %v", node.LastEcho)
	p.expect(node.Version != "", "HAStatus: empty version")

	cors, err := sys.CORSStatus()
	p.ok("Sys().CORSStatus", err)
	p.expect(!cors.Enabled && len(cors.AllowedOrigins) == 0, "CORSStatus: %+v before configuring, want disabled", cors)
	origin := "https://probe-" + p.suffix + ".example"
	p.ok("Sys().ConfigureCORS", sys.ConfigureCORS(&vault.CORSRequest{
		AllowedOrigins: []string{origin},
		AllowedHeaders: []string{"X-Probe-Header"},
		Enabled:        true,
	}))
	cors, err = sys.CORSStatus()
	p.ok("Sys().CORSStatus after ConfigureCORS", err)
	p.expect(cors.Enabled, "CORSStatus: not enabled after ConfigureCORS")
	p.expect(len(cors.AllowedOrigins) == 1 && cors.AllowedOrigins[0] == origin, "CORSStatus: allowed_origins %v", cors.AllowedOrigins)
	p.expect(contains(cors.AllowedHeaders, "X-Probe-Header") && contains(cors.AllowedHeaders, "X-Vault-Token"), "CORSStatus: allowed_headers %v", cors.AllowedHeaders)

	// The client sends no Origin, so CORS never gets in its way; a browser's would.
	_, err = sys.ListMounts()
	p.ok("Sys().ListMounts with CORS on", err)
	req, err := http.NewRequest(http.MethodGet, p.root.Address()+"/v1/sys/health", nil)
	p.ok("build a cross-origin request", err)
	req.Header.Set("Origin", "https://other-"+p.suffix+".example")
	resp, err := http.DefaultClient.Do(req)
	p.ok("GET sys/health from another origin", err)
	_ = resp.Body.Close()
	p.expect(resp.StatusCode == http.StatusForbidden, "another origin: status %d, want 403", resp.StatusCode)
	req.Header.Set("Origin", origin)
	resp, err = http.DefaultClient.Do(req)
	p.ok("GET sys/health from the allowed origin", err)
	_ = resp.Body.Close()
	p.expect(resp.Header.Get("Access-Control-Allow-Origin") == origin, "allowed origin: Access-Control-Allow-Origin %q", resp.Header.Get("Access-Control-Allow-Origin"))

	p.ok("Sys().DisableCORS", sys.DisableCORS())
	cors, err = sys.CORSStatus()
	p.ok("Sys().CORSStatus after DisableCORS", err)
	p.expect(!cors.Enabled, "CORSStatus: still enabled after DisableCORS")

	all, err := sys.ListPlugins(&vault.ListPluginsInput{})
	p.ok("Sys().ListPlugins", err)
	p.expect(contains(all.PluginsByType[vault.PluginTypeSecrets], "kv"), "ListPlugins: secret plugins %v lack kv", all.PluginsByType[vault.PluginTypeSecrets])
	p.expect(contains(all.PluginsByType[vault.PluginTypeCredential], "userpass"), "ListPlugins: auth plugins %v lack userpass", all.PluginsByType[vault.PluginTypeCredential])
	p.expect(contains(all.PluginsByType[vault.PluginTypeDatabase], "postgresql-database-plugin"), "ListPlugins: database plugins %v", all.PluginsByType[vault.PluginTypeDatabase])
	p.expect(len(all.Details) > 0, "ListPlugins: no details")
	for _, d := range all.Details {
		p.expect(d.Builtin && d.Version != "" && d.Type != "" && d.Name != "", "ListPlugins: detail %+v", d)
	}

	dbs, err := sys.ListPlugins(&vault.ListPluginsInput{Type: vault.PluginTypeDatabase})
	p.ok("Sys().ListPlugins database", err)
	p.expect(len(dbs.PluginsByType) == 1 && contains(dbs.PluginsByType[vault.PluginTypeDatabase], "mysql-database-plugin"), "ListPlugins database: %v", dbs.PluginsByType)
	for _, d := range dbs.Details {
		p.expect(d.Type == "database", "ListPlugins database: detail of type %q", d.Type)
	}

	plugin, err := sys.GetPlugin(&vault.GetPluginInput{Name: "redis-database-plugin", Type: vault.PluginTypeDatabase})
	p.ok("Sys().GetPlugin", err)
	p.expect(plugin != nil && plugin.Builtin && plugin.Name == "redis-database-plugin", "GetPlugin: %+v", plugin)
	p.expect(strings.Contains(plugin.Version, "builtin"), "GetPlugin: version %q is not a builtin version", plugin.Version)
	_, err = sys.GetPlugin(&vault.GetPluginInput{Name: "no-such-plugin", Type: vault.PluginTypeSecrets})
	p.expectStatus("GetPlugin unknown", err, 404, "")

	err = sys.RegisterPlugin(&vault.RegisterPluginInput{
		Name: "probe-" + p.suffix, Type: vault.PluginTypeSecrets, Command: "probe", SHA256: strings.Repeat("ab", 32),
	})
	p.expectStatus("RegisterPlugin external", err, 400, "external plugins are not supported")
}
