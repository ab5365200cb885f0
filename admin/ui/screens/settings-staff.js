// Staff members and permission groups (MANAGE_STAFF): invite (create with a first password), assign
// groups, deactivate or reactivate (staff are never deleted, so the audit log keeps naming them), and
// groups with their permissions.
import { html, useQuery, Pager, date } from '../lib.js';
import { useState } from '../vendor/hooks.module.js';
import { mutate, useAction, Notice, ConfirmButton, Checks, PERMISSIONS, permissionName } from './settings-kit.js';

const STAFF = `query($after: String) {
  staffMembers(first: 50, after: $after) { nodes { id name email isShopOwner active createdAt groups { id name } }
    pageInfo { hasNextPage endCursor } }
  permissionGroups { id name permissions } }`;

export function StaffSettings({ me }) {
  const [after, setAfter] = useState(null);
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState(null);
  const [editingGroup, setEditingGroup] = useState(null);
  const { data, error, loading } = useQuery(STAFF, { after }, [after, version]);
  const list = useAction();
  const reload = () => setVersion(version + 1);
  const members = data && data.staffMembers;
  const groups = (data && data.permissionGroups) || [];
  async function setActive(m, active) {
    if (await list.act(() => mutate(`mutation($id: ID!, $i: StaffMemberUpdateInput!) { staffMemberUpdate(id: $id, input: $i) {
      staffMember { id active } userErrors { field message } } }`, { id: m.id, i: { active } }, 'staffMemberUpdate'),
    active ? `${m.email} can sign in again.` : `${m.email} is deactivated: their sessions end now.`)) reload();
  }
  async function removeGroup(g) {
    if (await list.act(() => mutate(`mutation($id: ID!) { permissionGroupDelete(id: $id) { deletedPermissionGroupId userErrors { field message } } }`,
      { id: g.id }, 'permissionGroupDelete'), `Deleted the group ${g.name}.`)) reload();
  }
  return html`<h1>Staff and permission groups</h1>
    ${error && html`<p class="error" role="alert">${error.message}</p>`}
    <${Notice} note=${list.note} />
    <h2>Staff members</h2>
    <div class="table-wrap" role="region" tabindex="0" aria-label="Staff table" aria-busy=${loading ? 'true' : 'false'}>
      <table><caption class="skip">Staff members</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Groups</th><th scope="col">State</th>
          <th scope="col">Since</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
        <tbody>${members && members.nodes.map((m) => html`<tr>
          <td>${m.name || '—'}</td><td>${m.email}</td>
          <td class="wrap">${m.isShopOwner ? 'Shop owner (every permission)' : m.groups.map((g) => g.name).join(', ') || 'none'}</td>
          <td><span class=${`badge ${m.active ? 'ACTIVE' : 'REVOKED'}`}>${m.active ? 'active' : 'deactivated'}</span></td>
          <td>${date(m.createdAt)}</td>
          <td class="actions">${!m.isShopOwner && m.id !== me.id && html`
            <button type="button" class="secondary" aria-label=${`Edit ${m.email}`} onClick=${() => setEditing(m)}>Edit</button>
            ${m.active
              ? html`<${ConfirmButton} label="Deactivate" name=${`Deactivate ${m.email}`}
                  question=${`Deactivate ${m.email}? They are signed out and cannot sign in.`} onConfirm=${() => setActive(m, false)} />`
              : html`<button type="button" class="secondary" aria-label=${`Reactivate ${m.email}`} onClick=${() => setActive(m, true)}>Reactivate</button>`}`}</td>
        </tr>`)}</tbody>
      </table>
    </div>
    <${Pager} pageInfo=${members && members.pageInfo} first=${!after} onFirst=${() => setAfter(null)} onNext=${() => setAfter(members.pageInfo.endCursor)} />
    ${data && html`<${MemberForm} key=${editing ? editing.id : 'new'} member=${editing} groups=${groups}
      onDone=${() => { setEditing(null); reload(); }} onCancel=${() => setEditing(null)} />`}
    <h2>Permission groups</h2>
    <div class="table-wrap" role="region" tabindex="0" aria-label="Permission groups table"><table>
      <thead><tr><th scope="col">Group</th><th scope="col">Permissions</th><th scope="col"><span class="skip">Actions</span></th></tr></thead>
      <tbody>${groups.map((g) => html`<tr><td>${g.name}</td><td class="wrap">${g.permissions.map(permissionName).join(', ')}</td>
        <td class="actions"><button type="button" class="secondary" aria-label=${`Edit group ${g.name}`} onClick=${() => setEditingGroup(g)}>Edit</button>
          <${ConfirmButton} label="Delete" name=${`Delete group ${g.name}`} question=${`Delete the group ${g.name}? Its members lose its permissions.`}
            onConfirm=${() => removeGroup(g)} /></td></tr>`)}</tbody>
    </table></div>
    <${GroupForm} key=${editingGroup ? editingGroup.id : 'new-group'} group=${editingGroup}
      onDone=${() => { setEditingGroup(null); reload(); }} onCancel=${() => setEditingGroup(null)} />`;
}

function MemberForm({ member, groups, onDone, onCancel }) {
  const action = useAction();
  async function save(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const groupIds = f.getAll('groups');
    const done = await action.act(() => (member
      ? mutate(`mutation($id: ID!, $i: StaffMemberUpdateInput!) { staffMemberUpdate(id: $id, input: $i) { staffMember { id } userErrors { field message } } }`,
        { id: member.id, i: { name: String(f.get('name')).trim(), groupIds } }, 'staffMemberUpdate')
      : mutate(`mutation($i: StaffMemberCreateInput!) { staffMemberCreate(input: $i) { staffMember { id } userErrors { field message } } }`,
        { i: { email: String(f.get('email')).trim(), name: String(f.get('name')).trim(), password: f.get('password'), groupIds } }, 'staffMemberCreate')),
    member ? 'Staff member saved.' : 'Staff member added: give them their email and first password.');
    if (done) {
      if (!member) e.target.reset();
      onDone();
    }
  }
  return html`<h2 id="member-form">${member ? `Edit ${member.email}` : 'Add a staff member'}</h2>
    <form class="panel" aria-labelledby="member-form" onSubmit=${save}>
      <div class="row">
        ${!member && html`<div><label for="member-email">Staff email</label><input id="member-email" name="email" type="email" required /></div>`}
        <div><label for="member-name">Staff name</label><input id="member-name" name="name" defaultValue=${member ? member.name : ''} /></div>
        ${!member && html`<div><label for="member-password">First password</label><input id="member-password" name="password" type="password"
          autocomplete="new-password" required minlength="12" /></div>`}
      </div>
      <${Checks} legend="Groups" name="groups" options=${groups.map((g) => ({ value: g.id, label: g.name }))}
        checked=${member ? member.groups.map((g) => g.id) : []} />
      <p class="buttons"><button type="submit" disabled=${action.busy}>${member ? 'Save staff member' : 'Add staff member'}</button>
        ${member && html`<button type="button" class="secondary" onClick=${onCancel}>Cancel</button>`}</p>
      <${Notice} note=${action.note} />
    </form>`;
}

function GroupForm({ group, onDone, onCancel }) {
  const action = useAction();
  async function save(e) {
    e.preventDefault();
    const f = new FormData(e.target);
    const input = { name: String(f.get('name')).trim(), permissions: f.getAll('permissions') };
    const done = await action.act(() => (group
      ? mutate(`mutation($id: ID!, $i: PermissionGroupUpdateInput!) { permissionGroupUpdate(id: $id, input: $i) { permissionGroup { id } userErrors { field message } } }`,
        { id: group.id, i: input }, 'permissionGroupUpdate')
      : mutate(`mutation($i: PermissionGroupCreateInput!) { permissionGroupCreate(input: $i) { permissionGroup { id } userErrors { field message } } }`,
        { i: input }, 'permissionGroupCreate')), group ? 'Group saved.' : 'Group created.');
    if (done) {
      if (!group) e.target.reset();
      onDone();
    }
  }
  return html`<h2 id="group-form">${group ? `Edit group ${group.name}` : 'New permission group'}</h2>
    <form class="panel" aria-labelledby="group-form" onSubmit=${save}>
      <label for="group-name">Group name</label><input id="group-name" name="name" required defaultValue=${group ? group.name : ''} />
      <${Checks} legend="Group permissions" name="permissions" options=${PERMISSIONS} checked=${group ? group.permissions : []} />
      <p class="buttons"><button type="submit" disabled=${action.busy}>${group ? 'Save group' : 'Create group'}</button>
        ${group && html`<button type="button" class="secondary" onClick=${onCancel}>Cancel</button>`}</p>
      <${Notice} note=${action.note} />
    </form>`;
}
