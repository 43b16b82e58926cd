{%- set stages = ['lead', 'mql', 'sql', 'opportunity', 'won'] -%}

with

lead_stages as (

    select * from {{ ref('int_lead_stages_joined') }}

),

aggregated as (

    select
        cohort_month,
        lead_source,
        sum(case when reached_lead then 1 else 0 end) as leads,
        sum(case when reached_mql then 1 else 0 end) as mqls,
        sum(case when reached_sql then 1 else 0 end) as sqls,
        sum(case when reached_opportunity then 1 else 0 end) as opportunities,
        sum(case when reached_won then 1 else 0 end) as won_deals,
        {{ crm_median('days_lead_to_mql') }} as median_days_lead_to_mql,
        {{ crm_median('days_mql_to_sql') }} as median_days_mql_to_sql,
        {{ crm_median('days_sql_to_opportunity') }} as median_days_sql_to_opportunity,
        {{ crm_median('days_opportunity_to_won') }} as median_days_opportunity_to_won

    from lead_stages
    group by cohort_month, lead_source

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            dbt.safe_cast("cohort_month", api.Column.translate_type("string")), "'|'", "lead_source"
        ])) }} as funnel_key,
        cohort_month,
        lead_source,
        leads,
        mqls,
        sqls,
        opportunities,
        won_deals,
        -- `/` divides integers as floats on DuckDB and BigQuery alike
        mqls / nullif(leads, 0) as lead_to_mql_rate,
        sqls / nullif(mqls, 0) as mql_to_sql_rate,
        opportunities / nullif(sqls, 0) as sql_to_opportunity_rate,
        won_deals / nullif(opportunities, 0) as opportunity_to_won_rate,
        won_deals / nullif(leads, 0) as lead_to_won_rate,
        median_days_lead_to_mql,
        median_days_mql_to_sql,
        median_days_sql_to_opportunity,
        median_days_opportunity_to_won

    from aggregated

)

select * from final
