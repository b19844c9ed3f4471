-- The tenant of the current role: a tenant role maps to exactly one tenant through tenants.db_role.
-- Invoker rights on purpose: inside a tenant transaction current_user is the tenant role, and the
-- tenants policy lets that role see its own row only.
create or replace function public.current_tenant_id() returns uuid
language sql stable security invoker set search_path = pg_catalog, public as $$
  select id from public.tenants where db_role = current_user
$$;
--> statement-breakpoint
-- What request routing needs to know about one tenant, found by slug. Security definer so the app
-- role can resolve a host without being able to list tenants.
create or replace function public.resolve_tenant_by_slug(p_slug text)
returns table (id uuid, slug text, name text, status public.tenant_status, schema_name text, db_role text,
               billing_plan public.billing_plan, branding jsonb, features jsonb, rate_limits jsonb, trial_ends_at timestamptz, updated_at timestamptz)
language sql stable security definer set search_path = pg_catalog, public as $$
  select t.id, t.slug, t.name, t.status, t.schema_name, t.db_role, t.billing_plan, t.branding, t.features,
         jsonb_strip_nulls(jsonb_build_object('perMinute', t.limits -> 'requestsPerMinute', 'perHour', t.limits -> 'requestsPerHour')),
         t.trial_ends_at, t.updated_at
  from public.tenants t where t.slug = lower(p_slug)
$$;
--> statement-breakpoint
create or replace function public.resolve_tenant_by_domain(p_domain text)
returns table (id uuid, slug text, name text, status public.tenant_status, schema_name text, db_role text,
               billing_plan public.billing_plan, branding jsonb, features jsonb, rate_limits jsonb, trial_ends_at timestamptz, updated_at timestamptz)
language sql stable security definer set search_path = pg_catalog, public as $$
  select t.id, t.slug, t.name, t.status, t.schema_name, t.db_role, t.billing_plan, t.branding, t.features,
         jsonb_strip_nulls(jsonb_build_object('perMinute', t.limits -> 'requestsPerMinute', 'perHour', t.limits -> 'requestsPerHour')),
         t.trial_ends_at, t.updated_at
  from public.tenant_domains d join public.tenants t on t.id = d.tenant_id
  where d.domain = lower(p_domain) and d.status = 'verified'
$$;
--> statement-breakpoint
revoke all on function public.resolve_tenant_by_slug(text) from public;
--> statement-breakpoint
revoke all on function public.resolve_tenant_by_domain(text) from public;
--> statement-breakpoint
-- Usage against limits per resource. Limits come from tenants.limits (-1 = unlimited; storage in GB,
-- fractions allowed). Invoker rights: a tenant role can only count its own schema and rows; asking
-- about another tenant finds no tenant row and returns nothing.
--   users    = active human users + pending (unexpired, unrevoked) invitations
--   channels = non-DM channels, archived included (archiving does not free a slot)
--   storage  = bytes of stored attachments
--   api_calls_month = API-key calls this UTC month
-- exceeded: used > limit; at_limit: used >= limit (no further growth). Never null.
create or replace function public.check_tenant_limits(p_tenant_id uuid)
returns table (resource text, used bigint, "limit" bigint, remaining bigint, exceeded boolean, at_limit boolean)
language plpgsql stable security invoker set search_path = pg_catalog, public as $$
declare
  v_schema text;
  v_limits jsonb;
  v_users bigint;
  v_channels bigint;
  v_storage bigint;
  v_api bigint;
begin
  select t.schema_name, t.limits into v_schema, v_limits from public.tenants t where t.id = p_tenant_id;
  if not found then
    return;
  end if;
  execute format('select count(*) from %I.users where deactivated_at is null and not is_service', v_schema)
    into v_users;
  v_users := v_users + (
    select count(*) from public.tenant_invitations i
    where i.tenant_id = p_tenant_id and i.accepted_at is null and i.revoked_at is null and i.expires_at > now());
  execute format('select count(*) from %I.channels where kind <> ''dm''', v_schema) into v_channels;
  execute format('select coalesce(sum(size_bytes), 0)::bigint from %I.attachments', v_schema) into v_storage;
  select coalesce(max(u.api_calls_total), 0) into v_api from public.tenant_usage u
    where u.tenant_id = p_tenant_id and u.period = to_char(now() at time zone 'utc', 'YYYY-MM');

  return query
  with r(resource, used, lim) as (
    values
      ('users', v_users, public.limit_value(v_limits, 'users', 1)),
      ('channels', v_channels, public.limit_value(v_limits, 'channels', 1)),
      ('storage', v_storage, public.limit_value(v_limits, 'storageGb', 1073741824)),
      ('api_calls_month', v_api, public.limit_value(v_limits, 'apiCallsPerMonth', 1))
  )
  select r.resource, r.used, r.lim,
         case when r.lim < 0 then null else greatest(r.lim - r.used, 0) end,
         (r.lim >= 0 and r.used > r.lim),
         (r.lim >= 0 and r.used >= r.lim)
  from r;
end
$$;
--> statement-breakpoint
-- One limit from a limits document, scaled to its unit. Missing or malformed → 0 (deny), -1 → unlimited.
create or replace function public.limit_value(p_limits jsonb, p_key text, p_scale numeric)
returns bigint language sql immutable set search_path = pg_catalog as $$
  select case
    when coalesce(jsonb_typeof(p_limits -> p_key), 'missing') <> 'number' then 0
    when (p_limits ->> p_key)::numeric < 0 then -1
    else round((p_limits ->> p_key)::numeric * p_scale)::bigint
  end
$$;
