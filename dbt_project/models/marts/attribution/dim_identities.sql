-- The one identity map: GA4 client id ↔ GA4 user_id ↔ Salesforce lead / contact / account, with
-- the email only as its normalized SHA-256.
with

stitched as (

    select * from {{ ref('int_identities_stitched') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

user_ids as (

    select
        user_pseudo_id,
        max(user_id) as user_id

    from {{ ref('fct_sessions') }}
    group by user_pseudo_id

),

final as (

    select
        {{ dbt.hash(dbt.concat(["stitched.lead_id", "'|'", "stitched.user_pseudo_id"])) }}
            as identity_key,
        stitched.user_pseudo_id,
        user_ids.user_id,
        stitched.lead_id,
        leads.converted_contact_id as contact_id,
        leads.converted_account_id as account_id,
        leads.email_sha256,
        stitched.matched_by

    from stitched
    inner join leads on stitched.lead_id = leads.lead_id
    left join user_ids on stitched.user_pseudo_id = user_ids.user_pseudo_id

)

select * from final
