with

customers as (

    select * from {{ ref('dim_customers') }}

),

snapshot as (

    select * from {{ ref('int_crm_snapshot_dated') }}

),

acquired as (

    select
        customers.first_mrr_month as month_start,
        coalesce(customers.acquisition_lead_source, '(unknown)') as acquisition_lead_source,
        coalesce(customers.acquisition_utm_source, '(none)') as acquisition_utm_source,
        coalesce(customers.acquisition_utm_medium, '(none)') as acquisition_utm_medium,
        coalesce(customers.acquisition_utm_campaign, '(none)') as acquisition_utm_campaign,
        customers.acquisition_lead_id is not null as is_from_lead,
        customers.starting_mrr

    from customers
    cross join snapshot
    where customers.first_mrr_month <= snapshot.as_of_month

),

aggregated as (

    select
        month_start,
        acquisition_lead_source,
        acquisition_utm_source,
        acquisition_utm_medium,
        acquisition_utm_campaign,
        count(*) as new_customers,
        sum(case when is_from_lead then 1 else 0 end) as new_customers_from_leads,
        sum(starting_mrr) as new_mrr

    from acquired
    group by
        month_start,
        acquisition_lead_source,
        acquisition_utm_source,
        acquisition_utm_medium,
        acquisition_utm_campaign

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            dbt.safe_cast("month_start", api.Column.translate_type("string")), "'|'",
            "acquisition_lead_source", "'|'", "acquisition_utm_source", "'|'",
            "acquisition_utm_medium", "'|'", "acquisition_utm_campaign",
        ])) }} as new_customers_monthly_key,
        month_start,
        acquisition_lead_source,
        acquisition_utm_source,
        acquisition_utm_medium,
        acquisition_utm_campaign,
        new_customers,
        new_customers_from_leads,
        new_mrr

    from aggregated

)

select * from final
