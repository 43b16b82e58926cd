{#- MRR of a month = Σ MRR of the segments with start_date <= the month's first day <=
    coalesce(end_date, ∞) (sandbox/README.md). Months run from each account's first month with
    MRR to three months after the snapshot month, so churn within three months can be read. -#}
{%- set months_after_snapshot = 3 -%}

with

subscriptions as (

    select * from {{ ref('stg_salesforce__subscriptions') }}

),

snapshot as (

    select * from {{ ref('int_crm_snapshot_dated') }}

),

digits as (

    select 0 as digit
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9

),

month_offsets as (

    -- 0 … 999 months: enough for any subscription history
    select units.digit + 10 * tens.digit + 100 * hundreds.digit as month_offset
    from digits as units
    cross join digits as tens
    cross join digits as hundreds

),

segments as (

    select
        account_id,
        plan,
        seats,
        mrr,
        {{ crm_first_full_month('start_date') }} as first_month,
        {{ crm_month_start('end_date') }} as last_month

    from subscriptions

),

bounds as (

    select
        min(segments.first_month) as first_month,
        {{ crm_add_months('min(snapshot.as_of_month)', months_after_snapshot) }} as horizon_month,
        min(snapshot.as_of_month) as as_of_month

    from segments
    cross join snapshot

),

months as (

    select
        {{ crm_add_months('bounds.first_month', 'month_offsets.month_offset') }} as month_start,
        bounds.as_of_month

    from bounds
    cross join month_offsets
    where
        {{ crm_add_months('bounds.first_month', 'month_offsets.month_offset') }}
        <= bounds.horizon_month

),

segment_months as (

    select
        segments.account_id,
        months.month_start,
        segments.plan,
        segments.seats,
        segments.mrr

    from segments
    inner join months
        on
            segments.first_month <= months.month_start
            and (segments.last_month is null or segments.last_month >= months.month_start)

),

account_mrr_months as (

    select
        account_id,
        month_start,
        max(plan) as plan,
        sum(seats) as seats,
        sum(mrr) as mrr

    from segment_months
    group by account_id, month_start

),

accounts as (

    select
        account_id,
        min(month_start) as first_mrr_month

    from account_mrr_months
    where mrr > 0
    group by account_id

),

account_months as (

    select
        accounts.account_id,
        accounts.first_mrr_month,
        months.month_start,
        months.month_start <= months.as_of_month as is_reported_month

    from accounts
    inner join months on accounts.first_mrr_month <= months.month_start

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "account_months.account_id", "'|'",
            dbt.safe_cast("account_months.month_start", api.Column.translate_type("string")),
        ])) }} as account_month_key,
        account_months.account_id,
        account_months.month_start,
        account_months.first_mrr_month,
        account_months.is_reported_month,
        account_mrr_months.plan,
        coalesce(account_mrr_months.seats, 0) as seats,
        coalesce(account_mrr_months.mrr, 0) as mrr,
        coalesce(account_mrr_months.mrr, 0) > 0 as is_active

    from account_months
    left join account_mrr_months
        on
            account_months.account_id = account_mrr_months.account_id
            and account_months.month_start = account_mrr_months.month_start

)

select * from final
