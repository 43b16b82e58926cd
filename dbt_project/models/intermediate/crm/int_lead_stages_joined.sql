with

leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

joined as (

    select
        leads.lead_id,
        leads.lead_source,
        cast(leads.created_at as date) as created_date,
        leads.mql_date,
        leads.sql_date,
        leads.is_converted,
        leads.converted_date,
        opportunities.opportunity_id,
        cast(opportunities.created_at as date) as opportunity_created_date,
        opportunities.close_date as opportunity_close_date,
        coalesce(opportunities.is_won, false) as is_won

    from leads
    left join opportunities on leads.converted_opportunity_id = opportunities.opportunity_id

),

staged as (

    -- a lead that reached a stage passed every stage before it, even if a date was not filled
    select
        lead_id,
        lead_source,
        created_date,
        {{ crm_month_start('created_date') }} as cohort_month,
        mql_date,
        sql_date,
        opportunity_id,
        opportunity_created_date,
        case when is_won then opportunity_close_date end as won_date,
        opportunity_id is not null as reached_opportunity,
        is_won as reached_won,
        sql_date is not null or is_converted or opportunity_id is not null as reached_sql

    from joined

),

final as (

    select
        lead_id,
        lead_source,
        created_date,
        cohort_month,
        mql_date,
        sql_date,
        opportunity_id,
        opportunity_created_date,
        won_date,
        true as reached_lead,
        mql_date is not null or reached_sql as reached_mql,
        reached_sql,
        reached_opportunity,
        reached_won,
        {{ dbt.datediff('created_date', 'mql_date', 'day') }}
            as days_lead_to_mql,
        {{ dbt.datediff('mql_date', 'sql_date', 'day') }}
            as days_mql_to_sql,
        {{ dbt.datediff('sql_date', 'opportunity_created_date', 'day') }}
            as days_sql_to_opportunity,
        {{ dbt.datediff('opportunity_created_date', 'won_date', 'day') }}
            as days_opportunity_to_won

    from staged

)

select * from final
