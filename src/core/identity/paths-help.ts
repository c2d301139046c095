/**
 * Help for the identity mount's paths (entities, entity aliases, groups, group aliases,
 * lookups), kept apart from the handlers so those stay readable. Rules several paths
 * share are written once and repeated in each path's help.
 */

/** How policies, metadata and disabling work on an entity, for every path that writes one. */
const ENTITY_RULES = `policies are added to those of every token the entity holds, on its next request; "root"
is refused. metadata is at most 64 pairs, keys of letters, digits and "=/+_-" up to 128
characters and not starting with "vault-", values up to 512 characters. A disabled
entity's tokens are refused and its logins fail, but nothing is revoked: enabling it
again lets them back in. Fields not sent keep their values.`;

const ENTITY_ANSWER = `Creating answers the new entity's id and name (and aliases, null); an update answers 204.`;

export const ENTITY_HELP = `Create an entity, or update the one named by id or name.

With an id, that entity is updated (an unknown id answers 400). Otherwise a name picks
the entity of that name, created if there is none; with neither, a new entity is made
and named entity_<8 hex digits>. A name held by another entity answers 400.

${ENTITY_RULES}

${ENTITY_ANSWER}`;

export const ENTITY_BY_ID_HELP = `Read, update or delete an entity by id.

A read answers the entity: id, name, policies, metadata, disabled, its aliases (each with
its mount's type and path), merged_entity_ids, creation and update times, and its groups
as direct_group_ids, inherited_group_ids (the groups those are in, at any depth) and
group_ids (both). An unknown id answers 404.

An update changes the entity the URL names; a name in the body renames it (400 if another
entity has it).

${ENTITY_RULES}

Deleting removes the entity with its aliases and takes it out of its groups; its tokens
are refused from then on. Deleting an unknown id succeeds.`;

export const ENTITY_BY_NAME_HELP = `Read, create or update, or delete an entity by name.

The URL's name picks the entity; a write creates it when there is none, and an id in the
body is ignored. A read answers as entity/id/<id> does, 404 when there is no such entity.

${ENTITY_RULES}

${ENTITY_ANSWER}

Deleting removes the entity with its aliases and takes it out of its groups; deleting a
name no entity has succeeds.`;

export const ENTITY_LIST_HELP = (by: "id" | "name"): string => `List entity ${by === "id" ? "ids" : "names, sorted"}.

key_info holds, under each entity's id, its name and its aliases (id, name, mount
accessor, and the mount's type and path). With no entities the answer is 404.`;

export const MERGE_HELP = `Merge entities into one.

Each entity in from_entity_ids gives its aliases to to_entity_id, its groups take
to_entity_id in its place, and it is deleted; tokens it issued then act as
to_entity_id. Its policies and metadata are not carried over.

An entity has one alias per auth mount. When a from entity and to_entity_id both have
one on a mount, the merge is refused with 400 naming the clashes, unless
conflicting_alias_ids_to_keep names the alias to keep for each clash (the other is
dropped); with several from entities, it may name one alias at most, so merge clashing
entities one at a time. The whole merge happens at once or not at all.`;

export const BATCH_DELETE_HELP = `Delete several entities.

Each entity is deleted as entity/id/<id> would: its aliases go, it leaves its groups and
its tokens are refused. Unknown ids are skipped; an empty list answers 400.`;

const ALIAS_RULES = `An entity has at most one alias per auth mount, and a mount accessor and name belong to
one alias only (400 otherwise). canonical_id moves the alias to another entity. Logins
through the mount with that name then speak for the alias's entity. metadata is set by
the auth method at login; custom_metadata (up to 64 pairs, keys up to 128 characters,
values up to 512) is yours to set.`;

export const ENTITY_ALIAS_HELP = `Create an entity alias, or update the one with this id or mount accessor and name.

With an id, that alias is updated (an unknown id answers 400); fields not sent keep their
values. Otherwise mount_accessor (of an existing auth mount) and name are required: the
alias they name is updated, or a new one is made on canonical_id (which must exist) or,
without it, on a new entity.

${ALIAS_RULES}

The answer holds the alias's id and canonical_id; an update that changes nothing answers
204.`;

export const ENTITY_ALIAS_BY_ID_HELP = `Read, update or delete an entity alias by id.

A read answers id, canonical_id, name, mount_accessor (with the mount's type and path),
metadata, custom_metadata, merged_from_canonical_ids and the creation and update times;
an unknown id answers 404. An update works as identity/entity-alias with this id.
Deleting removes the alias from its entity (the entity stays); an unknown id succeeds.

${ALIAS_RULES}`;

export const ENTITY_ALIAS_LIST_HELP = `List entity alias ids.

key_info holds, under each alias id, its canonical_id, name, mount_accessor (with the
mount's type and path) and custom_metadata. With no aliases the answer is 404.`;

const GROUP_RULES = `An internal group (the default) lists its members: member_entity_ids (each must exist)
and member_group_ids (each must exist, and no group may end up inside itself). A list
that is sent replaces the old one. An external group has no listed members and takes a
group alias instead; the type cannot change once set. The entities in a group, directly
or through member groups at any depth, get its policies on their tokens' next request;
"root" is refused. metadata follows the entity rules (64 pairs, keys of letters, digits
and "=/+_-", no "vault-" prefix).`;

const GROUP_ANSWER = `Creating answers the new group's id and name; an update answers 204.`;

export const GROUP_HELP = `Create a group, or update the one named by id or name.

With an id, that group is updated (an unknown id answers 400). Otherwise a name picks
the group of that name, created if there is none; with neither, a new group is made and
named group_<8 hex digits>. A name held by another group answers 400.

${GROUP_RULES}

${GROUP_ANSWER}`;

export const GROUP_BY_ID_HELP = `Read, update or delete a group by id.

A read answers the group: id, name, type, policies, metadata, member_entity_ids,
member_group_ids, parent_group_ids (the groups it is a member of), its alias (external
groups), modify_index and the creation and update times. An unknown id answers 404.

An update changes the group the URL names; a name in the body renames it (400 if another
group has it).

${GROUP_RULES}

Deleting removes the group and its alias; its member groups lose it as a parent and its
entities lose its policies. Deleting an unknown id succeeds.`;

export const GROUP_BY_NAME_HELP = `Read, create or update, or delete a group by name.

The URL's name picks the group; a write creates it when there is none. A read answers as
group/id/<id> does, 404 when there is no such group.

${GROUP_RULES}

${GROUP_ANSWER}

Deleting removes the group and its alias; deleting a name no group has succeeds.`;

export const GROUP_LIST_HELP = (by: "id" | "name"): string => `List group ${by === "id" ? "ids" : "names, sorted"}.

key_info holds, under each group's id, its name, num_member_entities, num_parent_groups
and, for an external group, its alias. With no groups the answer is 404.`;

const GROUP_ALIAS_RULES = `A group alias ties an external group to a group name that an auth method reports. A
mount accessor and name belong to one group alias only, and a group has one alias at
most; canonical_id must be an external group. Mayfly's auth methods report no group
names yet, so logins do not make entities members of external groups.`;

export const GROUP_ALIAS_HELP = `Create a group alias, tying an external group to a group of an auth method.

With an id, that alias is updated (an unknown id answers 400); name, mount_accessor and
its group stay as they were when not sent. Otherwise name and mount_accessor are
required. The mount must exist. canonical_id puts the alias on that group (moving it
from its old one); a new alias without it gets a new external group, named
group_<8 hex digits>.

${GROUP_ALIAS_RULES}

The answer holds the alias's id and canonical_id.`;

export const GROUP_ALIAS_BY_ID_HELP = `Read, update or delete a group alias by id.

A read answers id, canonical_id, name, mount_accessor (with the mount's type and path)
and the creation and update times; an unknown id answers 404. An update works as
identity/group-alias with this id. Deleting removes the alias and leaves its group; an
unknown id succeeds.

${GROUP_ALIAS_RULES}`;

export const GROUP_ALIAS_LIST_HELP = `List group alias ids.

key_info holds, under each alias id, its canonical_id, name, mount_accessor and the
mount's type and path. With no group aliases the answer is 404.`;

export const LOOKUP_HELP = (what: "entity" | "group"): string => `Find ${what === "entity" ? "an entity" : "a group"} by id, name, alias id, or alias name and mount accessor.

Send exactly one of id, name and alias_id, or alias_name together with
alias_mount_accessor; anything else answers 400. The answer is the ${what} as
${what}/id/<id> reads it. Nothing found answers 204 with no body, not 404.`;

export const LOOKUP_FIELDS = (what: "entity" | "group") =>
  ({
    id: `ID of the ${what}.`,
    name: `Name of the ${what}.`,
    alias_id: `ID of one of the ${what}'s aliases.`,
    alias_name: `Name of the ${what}'s alias in its auth method; needs alias_mount_accessor.`,
    alias_mount_accessor: "Accessor of the auth mount of the alias named by alias_name.",
  }) as const;
