package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	vault "github.com/hashicorp/vault/api"
)

func checkLogical(p *probe) {
	l := p.root.Logical()
	base := "secret/data/go-logical-" + p.suffix

	// KV v2 through the raw logical API, as code written before KVv2() does it.
	w, err := l.Write(base+"/a", map[string]interface{}{"data": map[string]interface{}{"user": "alice", "n": 7}})
	p.ok("Logical().Write kv v2", err)
	p.expect(w != nil && w.Data["version"] == json.Number("1"), "Write kv v2: data %v, want version 1", dataOf(w))
	_, err = l.Write(base+"/b", map[string]interface{}{"data": map[string]interface{}{"x": "y"}})
	p.ok("Logical().Write kv v2 second key", err)
	_, err = l.Write(base+"/dir/c", map[string]interface{}{"data": map[string]interface{}{"x": "z"}})
	p.ok("Logical().Write kv v2 nested key", err)

	r, err := l.Read(base + "/a")
	p.ok("Logical().Read kv v2", err)
	p.expect(r != nil, "Logical().Read: nil secret for an existing key")
	inner, _ := r.Data["data"].(map[string]interface{})
	p.expect(inner["user"] == "alice" && inner["n"] == json.Number("7"), "Read kv v2: data %v", r.Data)
	p.expect(r.LeaseID == "" && r.LeaseDuration == 0 && !r.Renewable, "Read kv v2: lease fields %q %d %v", r.LeaseID, r.LeaseDuration, r.Renewable)
	p.expect(r.RequestID != "", "Read: empty request_id")

	r, err = l.ReadWithData(base+"/a", map[string][]string{"version": {"1"}})
	p.ok("Logical().ReadWithData version=1", err)
	md, _ := r.Data["metadata"].(map[string]interface{})
	p.expect(md["version"] == json.Number("1"), "ReadWithData version=1: metadata %v", md)
	r, err = l.ReadWithData(base+"/a", map[string][]string{"version": {"9"}})
	p.ok("Logical().ReadWithData of a missing version", err)
	p.expect(r == nil, "ReadWithData of a missing version: got %+v, want nil (404)", r)

	list, err := l.List("secret/metadata/go-logical-" + p.suffix)
	p.ok("Logical().List", err)
	p.expect(list != nil, "Logical().List: nil for a folder with keys")
	keys := stringsOf(list.Data["keys"])
	p.expect(sameSet(keys, []string{"a", "b", "dir/"}), "List keys %v, want a b dir/", keys)
	list, err = l.List("secret/metadata/go-logical-" + p.suffix + "/")
	p.ok("Logical().List with trailing slash", err)
	p.expect(list != nil && sameSet(stringsOf(list.Data["keys"]), []string{"a", "b", "dir/"}), "List with a trailing slash: %v", dataOf(list))

	// Missing things are nil without an error: that is how Go code tests for absence.
	r, err = l.Read("secret/data/go-missing-" + p.suffix)
	p.ok("Logical().Read of a missing key", err)
	p.expect(r == nil, "Read of a missing key: got %+v, want nil secret", r)
	list, err = l.List("secret/metadata/go-missing-" + p.suffix)
	p.ok("Logical().List of a missing folder", err)
	p.expect(list == nil, "List of a missing folder: got %+v, want nil secret", list)

	d, err := l.Delete(base + "/b")
	p.ok("Logical().Delete kv v2", err)
	p.expect(d == nil, "Delete: got %+v, want nil (204)", d)
	// A deleted v2 version reads as 404 with its metadata: the client hands that back.
	r, err = l.Read(base + "/b")
	p.ok("Logical().Read of a deleted version", err)
	p.expect(r != nil && r.Data["data"] == nil, "Read of a deleted version: %+v, want data null with metadata", r)
	md, _ = r.Data["metadata"].(map[string]interface{})
	p.expect(md["deletion_time"] != "" && md["destroyed"] == false, "deleted version metadata %v", md)

	// JSONMergePatch is Logical's PATCH.
	pr, err := l.JSONMergePatch(context.Background(), base+"/a", map[string]interface{}{"data": map[string]interface{}{"n": nil, "role": "admin"}})
	p.ok("Logical().JSONMergePatch", err)
	p.expect(pr != nil && pr.Data["version"] == json.Number("2"), "JSONMergePatch: %v", dataOf(pr))
	r, err = l.Read(base + "/a")
	p.ok("Logical().Read after patch", err)
	inner, _ = r.Data["data"].(map[string]interface{})
	_, hasN := inner["n"]
	p.expect(inner["user"] == "alice" && inner["role"] == "admin" && !hasN, "after merge patch: %v", inner)

	// sys paths through Logical: data of sys/mounts is the mount map.
	r, err = l.Read("sys/mounts")
	p.ok("Logical().Read sys/mounts", err)
	p.expect(r != nil && r.Data["secret/"] != nil, "Logical().Read sys/mounts: no secret/ in data")
	w, err = l.Write("sys/tools/random/16", nil)
	p.ok("Logical().Write sys/tools/random", err)
	p.expect(w != nil && w.Data["random_bytes"] != nil, "sys/tools/random: %v", dataOf(w))

	// Cubbyhole: per-token, v1-style.
	_, err = l.Write("cubbyhole/go", map[string]interface{}{"k": "v"})
	p.ok("Logical().Write cubbyhole", err)
	r, err = l.Read("cubbyhole/go")
	p.ok("Logical().Read cubbyhole", err)
	p.expect(r != nil && r.Data["k"] == "v", "cubbyhole read %v", dataOf(r))
}

func checkKVv2(p *probe) {
	ctx := context.Background()
	kv := p.root.KVv2("secret")
	path := "go-kv2-" + p.suffix + "/app"

	s, err := kv.Put(ctx, path, map[string]interface{}{"password": "one"})
	p.ok("KVv2.Put", err)
	p.expect(s.VersionMetadata != nil && s.VersionMetadata.Version == 1, "Put: version metadata %+v", s.VersionMetadata)
	p.expect(!s.VersionMetadata.CreatedTime.IsZero() && s.VersionMetadata.DeletionTime.IsZero(), "Put: times %+v", s.VersionMetadata)
	s, err = kv.Put(ctx, path, map[string]interface{}{"password": "two", "user": "bob"}, vault.WithCheckAndSet(1))
	p.ok("KVv2.Put with cas=1", err)
	p.expect(s.VersionMetadata.Version == 2, "Put cas: version %d", s.VersionMetadata.Version)
	_, err = kv.Put(ctx, path, map[string]interface{}{"password": "x"}, vault.WithCheckAndSet(1))
	p.expectStatus("KVv2.Put with a stale cas", err, 400, "check-and-set parameter did not match the current version")

	s, err = kv.Get(ctx, path)
	p.ok("KVv2.Get", err)
	p.expect(s.Data["password"] == "two" && s.Data["user"] == "bob", "Get: %v", s.Data)
	p.expect(s.VersionMetadata.Version == 2 && !s.VersionMetadata.Destroyed, "Get: metadata %+v", s.VersionMetadata)

	s, err = kv.GetVersion(ctx, path, 1)
	p.ok("KVv2.GetVersion", err)
	p.expect(s.Data["password"] == "one" && s.VersionMetadata.Version == 1, "GetVersion 1: %v %+v", s.Data, s.VersionMetadata)

	s, err = kv.Patch(ctx, path, map[string]interface{}{"user": "carol"})
	p.ok("KVv2.Patch", err)
	p.expect(s.VersionMetadata.Version == 3, "Patch: version %d", s.VersionMetadata.Version)
	s, err = kv.Patch(ctx, path, map[string]interface{}{"extra": "rw"}, vault.WithMergeMethod(vault.KVMergeMethodReadWrite))
	p.ok("KVv2.Patch read-then-write", err)
	p.expect(s.VersionMetadata.Version == 4, "Patch rw: version %d", s.VersionMetadata.Version)
	s, err = kv.Get(ctx, path)
	p.ok("KVv2.Get after patch", err)
	p.expect(s.Data["password"] == "two" && s.Data["user"] == "carol" && s.Data["extra"] == "rw", "after patches: %v", s.Data)
	_, err = kv.Patch(ctx, "go-kv2-"+p.suffix+"/nothing", map[string]interface{}{"a": "b"})
	p.expect(errors.Is(err, vault.ErrSecretNotFound), "Patch of a missing secret: %v, want ErrSecretNotFound (404)", err)

	p.ok("KVv2.PutMetadata", kv.PutMetadata(ctx, path, vault.KVMetadataPutInput{
		MaxVersions: 5, DeleteVersionAfter: time.Hour, CustomMetadata: map[string]interface{}{"owner": "team-a"},
	}))
	meta, err := kv.GetMetadata(ctx, path)
	p.ok("KVv2.GetMetadata", err)
	// oldest_version stays 0 until versions are trimmed, as in Vault.
	p.expect(meta.CurrentVersion == 4 && meta.OldestVersion == 0 && meta.MaxVersions == 5, "GetMetadata: current %d oldest %d max %d", meta.CurrentVersion, meta.OldestVersion, meta.MaxVersions)
	p.expect(meta.DeleteVersionAfter == time.Hour, "GetMetadata: delete_version_after %v, want 1h", meta.DeleteVersionAfter)
	p.expect(meta.CustomMetadata["owner"] == "team-a", "GetMetadata: custom_metadata %v", meta.CustomMetadata)
	p.expect(len(meta.Versions) == 4 && !meta.CreatedTime.IsZero() && !meta.UpdatedTime.IsZero(), "GetMetadata: %d versions, times %v %v", len(meta.Versions), meta.CreatedTime, meta.UpdatedTime)
	s, err = kv.Get(ctx, path)
	p.ok("KVv2.Get with custom metadata", err)
	p.expect(s.CustomMetadata["owner"] == "team-a", "Get: custom_metadata %v", s.CustomMetadata)

	maxVersions := 7
	p.ok("KVv2.PatchMetadata", kv.PatchMetadata(ctx, path, vault.KVMetadataPatchInput{MaxVersions: &maxVersions}))
	meta, err = kv.GetMetadata(ctx, path)
	p.ok("KVv2.GetMetadata after patch", err)
	p.expect(meta.MaxVersions == 7 && meta.CustomMetadata["owner"] == "team-a", "after PatchMetadata: max %d custom %v", meta.MaxVersions, meta.CustomMetadata)

	versions, err := kv.GetVersionsAsList(ctx, path)
	p.ok("KVv2.GetVersionsAsList", err)
	p.expect(len(versions) == 4 && versions[0].Version == 1 && versions[3].Version == 4, "GetVersionsAsList: %+v", versions)

	p.ok("KVv2.Delete", kv.Delete(ctx, path))
	s, err = kv.Get(ctx, path)
	p.ok("KVv2.Get of a deleted latest version", err)
	p.expect(s.Data == nil && s.VersionMetadata != nil && s.VersionMetadata.Version == 4 && !s.VersionMetadata.DeletionTime.IsZero(),
		"Get after Delete: data %v metadata %+v, want nil data and a deletion time", s.Data, s.VersionMetadata)

	p.ok("KVv2.Undelete", kv.Undelete(ctx, path, []int{4}))
	s, err = kv.Get(ctx, path)
	p.ok("KVv2.Get after Undelete", err)
	// With delete_version_after set, an undeleted version is due for deletion again later.
	p.expect(s.Data["extra"] == "rw" && s.VersionMetadata.DeletionTime.After(time.Now().Add(50*time.Minute)), "Get after Undelete: %v %+v", s.Data, s.VersionMetadata)

	p.ok("KVv2.DeleteVersions", kv.DeleteVersions(ctx, path, []int{2}))
	p.ok("KVv2.Destroy", kv.Destroy(ctx, path, []int{1}))
	s, err = kv.GetVersion(ctx, path, 1)
	p.ok("KVv2.GetVersion of a destroyed version", err)
	p.expect(s.Data == nil && s.VersionMetadata.Destroyed, "destroyed version: %v %+v", s.Data, s.VersionMetadata)
	s, err = kv.GetVersion(ctx, path, 2)
	p.ok("KVv2.GetVersion of a deleted version", err)
	p.expect(s.Data == nil && !s.VersionMetadata.DeletionTime.IsZero(), "deleted version 2: %v %+v", s.Data, s.VersionMetadata)

	s, err = kv.Rollback(ctx, path, 3)
	p.ok("KVv2.Rollback", err)
	p.expect(s.VersionMetadata.Version == 5, "Rollback: new version %d, want 5", s.VersionMetadata.Version)
	s, err = kv.Get(ctx, path)
	p.ok("KVv2.Get after Rollback", err)
	p.expect(s.Data["user"] == "carol" && s.Data["extra"] == nil, "after Rollback to 3: %v", s.Data)

	_, err = kv.Get(ctx, "go-kv2-"+p.suffix+"/never")
	p.expect(errors.Is(err, vault.ErrSecretNotFound), "Get of a missing secret: %v, want ErrSecretNotFound", err)
	_, err = kv.GetMetadata(ctx, "go-kv2-"+p.suffix+"/never")
	p.expect(errors.Is(err, vault.ErrSecretNotFound), "GetMetadata of a missing secret: %v, want ErrSecretNotFound", err)

	p.ok("KVv2.DeleteMetadata", kv.DeleteMetadata(ctx, path))
	_, err = kv.Get(ctx, path)
	p.expect(errors.Is(err, vault.ErrSecretNotFound), "Get after DeleteMetadata: %v, want ErrSecretNotFound", err)

	// cas_required on the mount config makes a Put without cas fail.
	_, err = p.root.Logical().Write("secret/metadata/go-kv2-"+p.suffix+"/strict", map[string]interface{}{"cas_required": true})
	p.ok("Logical().Write metadata cas_required", err)
	_, err = kv.Put(ctx, "go-kv2-"+p.suffix+"/strict", map[string]interface{}{"a": "b"})
	p.expectStatus("KVv2.Put without cas where cas is required", err, 400, "check-and-set parameter required for this call")
	_, err = kv.Put(ctx, "go-kv2-"+p.suffix+"/strict", map[string]interface{}{"a": "b"}, vault.WithCheckAndSet(0))
	p.ok("KVv2.Put with cas=0 where cas is required", err)
}

func checkKVv1(p *probe) {
	ctx := context.Background()
	mount := "go-v1-" + p.suffix
	p.ok("Sys().Mount kv v1", p.root.Sys().Mount(mount, &vault.MountInput{Type: "kv", Options: map[string]string{"version": "1"}}))
	defer func() { _ = p.root.Sys().Unmount(mount) }()
	kv := p.root.KVv1(mount)

	p.ok("KVv1.Put", kv.Put(ctx, "app/db", map[string]interface{}{"user": "u", "port": 5432}))
	s, err := kv.Get(ctx, "app/db")
	p.ok("KVv1.Get", err)
	p.expect(s.Data["user"] == "u" && s.Data["port"] == json.Number("5432"), "KVv1.Get: %v", s.Data)
	p.expect(s.VersionMetadata == nil, "KVv1.Get: version metadata %+v on a v1 mount", s.VersionMetadata)

	// A ttl key is only data in v1 but sets lease_duration (no lease id) on reads.
	p.ok("KVv1.Put with ttl", kv.Put(ctx, "app/ttl", map[string]interface{}{"v": "1", "ttl": "30m"}))
	r, err := p.root.Logical().Read(mount + "/app/ttl")
	p.ok("Logical().Read v1 with ttl", err)
	p.expect(r.LeaseDuration == 1800 && r.LeaseID == "", "v1 ttl read: lease_duration %d lease_id %q, want 1800 and none", r.LeaseDuration, r.LeaseID)

	list, err := p.root.Logical().List(mount + "/app")
	p.ok("Logical().List v1", err)
	p.expect(list != nil && sameSet(stringsOf(list.Data["keys"]), []string{"db", "ttl"}), "v1 list: %v", dataOf(list))
	list, err = p.root.Logical().List(mount)
	p.ok("Logical().List v1 mount root", err)
	p.expect(list != nil && sameSet(stringsOf(list.Data["keys"]), []string{"app/"}), "v1 list of the mount: %v", dataOf(list))

	p.ok("KVv1.Delete", kv.Delete(ctx, "app/db"))
	_, err = kv.Get(ctx, "app/db")
	p.expect(errors.Is(err, vault.ErrSecretNotFound), "KVv1.Get after Delete: %v, want ErrSecretNotFound", err)
	r, err = p.root.Logical().Read(mount + "/app/db")
	p.ok("Logical().Read of a deleted v1 key", err)
	p.expect(r == nil, "Read of a deleted v1 key: %+v", r)
}

func dataOf(s *vault.Secret) map[string]interface{} {
	if s == nil {
		return nil
	}
	return s.Data
}

func stringsOf(v interface{}) []string {
	list, _ := v.([]interface{})
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
