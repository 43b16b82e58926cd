with

account_months as (

    select * from {{ ref('int_account_months_spined') }}
    where is_reported_month

),

cohort_starts as (

    select
        account_id,
        first_mrr_month as cohort_month,
        mrr as starting_mrr

    from account_months
    where month_start = first_mrr_month

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_customers,
        sum(starting_mrr) as cohort_starting_mrr

    from cohort_starts
    group by cohort_month

),

cohort_months as (

    select
        account_months.first_mrr_month as cohort_month,
        account_months.month_start,
        sum(case when account_months.is_active then 1 else 0 end) as active_customers,
        sum(account_months.mrr) as mrr

    from account_months
    group by account_months.first_mrr_month, account_months.month_start

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            dbt.safe_cast("cohort_months.cohort_month", api.Column.translate_type("string")),
            "'|'",
            dbt.safe_cast("cohort_months.month_start", api.Column.translate_type("string")),
        ])) }} as cohort_retention_key,
        cohort_months.cohort_month,
        cohort_months.month_start,
        {{ dbt.datediff('cohort_months.cohort_month', 'cohort_months.month_start', 'month') }}
            as months_since_start,
        cohort_sizes.cohort_customers,
        cohort_sizes.cohort_starting_mrr,
        cohort_months.active_customers,
        cohort_months.mrr,
        cohort_months.active_customers
        / nullif(cohort_sizes.cohort_customers, 0) as customer_retention_rate,
        cohort_months.mrr
        / nullif(cohort_sizes.cohort_starting_mrr, 0) as net_mrr_retention_rate

    from cohort_months
    inner join cohort_sizes on cohort_months.cohort_month = cohort_sizes.cohort_month

)

select * from final
