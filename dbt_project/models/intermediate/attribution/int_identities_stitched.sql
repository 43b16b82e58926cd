-- Every GA4 client id (user_pseudo_id) tied to a CRM lead: directly by the lead's GA client id,
-- by the lead's gclid / fbclid seen on a session, and across devices by a shared GA4 user_id.
with

sessions as (

    select * from {{ ref('fct_sessions') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

by_client_id as (

    select
        lead_id,
        ga_client_id as user_pseudo_id,
        'ga_client_id' as matched_by

    from leads
    where ga_client_id is not null

),

by_gclid as (

    select distinct
        leads.lead_id,
        sessions.user_pseudo_id,
        'gclid' as matched_by

    from leads
    inner join sessions on leads.gclid = sessions.gclid
    where leads.gclid is not null

),

by_fbclid as (

    select distinct
        leads.lead_id,
        sessions.user_pseudo_id,
        'fbclid' as matched_by

    from leads
    inner join sessions on leads.fbclid = sessions.fbclid
    where leads.fbclid is not null

),

direct_matches as (

    select * from by_client_id
    union all
    select * from by_gclid
    union all
    select * from by_fbclid

),

user_ids as (

    select distinct
        user_pseudo_id,
        user_id

    from sessions
    where user_id is not null

),

by_user_id as (

    select distinct
        direct_matches.lead_id,
        other_devices.user_pseudo_id,
        'user_id' as matched_by

    from direct_matches
    inner join user_ids as known on direct_matches.user_pseudo_id = known.user_pseudo_id
    inner join user_ids as other_devices on known.user_id = other_devices.user_id

),

all_matches as (

    select * from direct_matches
    union all
    select * from by_user_id

),

final as (

    -- one row per lead × client id, with the strongest way they were matched
    select
        lead_id,
        user_pseudo_id,
        min(
            case matched_by
                when 'ga_client_id' then 1
                when 'gclid' then 2
                when 'fbclid' then 3
                else 4
            end
        ) as match_rank

    from all_matches
    group by lead_id, user_pseudo_id

)

select
    lead_id,
    user_pseudo_id,
    case match_rank
        when 1 then 'ga_client_id'
        when 2 then 'gclid'
        when 3 then 'fbclid'
        else 'user_id'
    end as matched_by

from final
