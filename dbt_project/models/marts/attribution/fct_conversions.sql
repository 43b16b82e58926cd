-- What marketing is credited for: leads created, new-business deals won (CRM revenue, which
-- attribution and ROAS use) and self-serve purchases (GA4 revenue). Each conversion has an anchor:
-- the moment its touchpoints are looked back from (a deal looks back from its lead's creation,
-- since sales, not marketing, touches it after that).
with

leads as (

    select * from {{ ref('fct_leads') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

purchases as (

    select * from {{ ref('fct_purchases') }}

),

lead_conversions as (

    select
        'lead' as conversion_type,
        lead_id as source_id,
        lead_id,
        cast(null as {{ dbt.type_string() }}) as user_pseudo_id,
        created_at as converted_at,
        created_at as anchor_at,
        cast(0 as {{ type_double() }}) as revenue

    from leads

),

won_deals as (

    select
        'won_deal' as conversion_type,
        opportunities.opportunity_id as source_id,
        coalesce(opportunities.lead_id, customers.acquisition_lead_id) as lead_id,
        cast(null as {{ dbt.type_string() }}) as user_pseudo_id,
        {{ dbt.safe_cast("opportunities.close_date", api.Column.translate_type("timestamp")) }}
            as converted_at,
        coalesce(
            leads.created_at,
            {{ dbt.safe_cast("opportunities.close_date", api.Column.translate_type("timestamp")) }}
        ) as anchor_at,
        cast(opportunities.amount as {{ type_double() }}) as revenue

    from opportunities
    left join customers on opportunities.account_id = customers.account_id
    left join leads
        on coalesce(opportunities.lead_id, customers.acquisition_lead_id) = leads.lead_id
    where opportunities.is_won and opportunities.opportunity_type = 'New Business'

),

purchase_conversions as (

    select
        'purchase' as conversion_type,
        transaction_id as source_id,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        user_pseudo_id,
        purchased_at as converted_at,
        purchased_at as anchor_at,
        cast(revenue as {{ type_double() }}) as revenue

    from purchases

),

unioned as (

    select * from lead_conversions
    union all
    select * from won_deals
    union all
    select * from purchase_conversions

),

final as (

    select
        {{ dbt.hash(dbt.concat(["conversion_type", "'|'", "source_id"])) }} as conversion_id,
        conversion_type,
        source_id,
        lead_id,
        user_pseudo_id,
        converted_at,
        cast(converted_at as date) as conversion_date,
        anchor_at,
        revenue

    from unioned

)

select * from final
