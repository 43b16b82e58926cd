with

leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

lead_stages as (

    select * from {{ ref('int_lead_stages_joined') }}

),

users as (

    select * from {{ ref('stg_salesforce__users') }}

),

final as (

    select
        leads.lead_id,
        leads.created_at,
        lead_stages.created_date,
        lead_stages.cohort_month,
        leads.lead_source,
        leads.lead_form,
        leads.utm_source,
        leads.utm_medium,
        leads.utm_campaign,
        leads.utm_content,
        leads.utm_term,
        leads.gclid,
        leads.fbclid,
        leads.ga_client_id,
        {{ hash_pii('leads.email') }} as email_sha256,
        leads.company_name,
        leads.industry,
        leads.employee_count,
        leads.country,
        leads.title,
        leads.lead_status,
        leads.mql_date as mql_at,
        leads.sql_date as sql_at,
        lead_stages.reached_mql as is_mql,
        lead_stages.reached_sql as is_sql,
        leads.is_converted,
        leads.converted_date as converted_at,
        leads.converted_account_id,
        leads.converted_contact_id,
        leads.converted_opportunity_id,
        lead_stages.reached_won as is_won,
        lead_stages.won_date as won_at,
        leads.owner_id,
        users.user_name as owner_name

    from leads
    inner join lead_stages on leads.lead_id = lead_stages.lead_id
    left join users on leads.owner_id = users.user_id

)

select * from final
