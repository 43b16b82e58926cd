with

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

users as (

    select * from {{ ref('stg_salesforce__users') }}

),

originating_leads as (

    select
        converted_opportunity_id as opportunity_id,
        min(lead_id) as lead_id

    from leads
    where converted_opportunity_id is not null
    group by converted_opportunity_id

),

final as (

    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.opportunity_name,
        opportunities.opportunity_type,
        opportunities.stage_name,
        opportunities.amount,
        opportunities.mrr,
        opportunities.probability,
        opportunities.amount * opportunities.probability / 100 as weighted_amount,
        opportunities.created_at,
        cast(opportunities.created_at as date) as created_date,
        opportunities.close_date,
        opportunities.is_closed,
        opportunities.is_won,
        case
            when opportunities.is_closed
                then
                    {{ dbt.datediff('cast(opportunities.created_at as date)',
                        'opportunities.close_date', 'day') }}
        end as days_to_close,
        opportunities.lead_source,
        opportunities.campaign_id,
        originating_leads.lead_id,
        opportunities.owner_id,
        users.user_name as owner_name

    from opportunities
    left join originating_leads on opportunities.opportunity_id = originating_leads.opportunity_id
    left join users on opportunities.owner_id = users.user_id

)

select * from final
