{#- The churn panel. Features use only what the CRM shows at the month's first day (usage of
    the previous month, cases opened before it, the subscription running on it). A customer
    churns in month m when it has MRR on the 1st of m and none on the 1st of m + 1 (its last
    segment ends on m's last day), as in the world's churn_truth. Churn is known for months up
    to the snapshot month; a 3-month outcome that reaches past it is null unless churn already
    happened. -#}

with

account_months as (

    select * from {{ ref('int_account_months_spined') }}

),

product_usage as (

    select * from {{ ref('stg_salesforce__product_usage') }}

),

cases as (

    select * from {{ ref('stg_salesforce__cases') }}

),

snapshot as (

    select * from {{ ref('int_crm_snapshot_dated') }}

),

usage_bounds as (

    select min(usage_month) as first_usage_month
    from product_usage

),

account_usage_months as (

    select
        account_id,
        usage_month,
        sum(active_users) as active_users,
        sum(events) as events,
        sum(seats) as seats

    from product_usage
    group by account_id, usage_month

),

churn_flagged as (

    select
        *,
        is_active
        and not coalesce(
            lead(is_active) over (partition by account_id order by month_start), false
        ) as churns_this_month,
        lag(mrr, 3) over (partition by account_id order by month_start) as mrr_3_months_ago

    from account_months

),

outcomes as (

    select
        *,
        lead(churns_this_month, 1) over (
            partition by account_id order by month_start
        ) as churns_next_month,
        lead(churns_this_month, 2) over (
            partition by account_id order by month_start
        ) as churns_in_two_months

    from churn_flagged

),

panel as (

    select
        outcomes.account_month_key,
        outcomes.account_id,
        outcomes.month_start,
        outcomes.first_mrr_month,
        outcomes.plan,
        outcomes.seats,
        outcomes.mrr,
        coalesce(outcomes.mrr_3_months_ago, 0) as mrr_3_months_ago,
        outcomes.churns_this_month,
        outcomes.churns_next_month,
        outcomes.churns_in_two_months,
        snapshot.as_of_month,
        {{ crm_add_months('outcomes.month_start', -1) }} as previous_month,
        {{ crm_add_months('outcomes.month_start', -3) }} as three_months_before,
        {{ crm_add_months('outcomes.month_start', 1) }} as next_month,
        {{ crm_add_months('outcomes.month_start', 2) }} as month_after_next

    from outcomes
    cross join snapshot
    cross join usage_bounds
    where
        outcomes.is_reported_month
        and outcomes.is_active
        -- features need the previous month's usage: start after the first month synced
        and outcomes.month_start > usage_bounds.first_usage_month

),

case_bounds as (

    select
        account_month_key,
        account_id,
        cast(month_start as {{ dbt.type_timestamp() }}) as month_start_at,
        cast(three_months_before as {{ dbt.type_timestamp() }}) as three_months_before_at,
        cast(
            {{ dbt.dateadd('day', -90, 'month_start') }} as {{ dbt.type_timestamp() }}
        ) as ninety_days_before_at

    from panel

),

case_counts as (

    select
        case_bounds.account_month_key,
        sum(
            case when cases.created_at >= case_bounds.ninety_days_before_at then 1 else 0 end
        ) as cases_opened_last_90_days,
        sum(
            case when cases.created_at >= case_bounds.three_months_before_at then 1 else 0 end
        ) as cases_opened_last_3_months,
        sum(
            case
                when
                    cases.closed_at is null or cases.closed_at >= case_bounds.month_start_at
                    then 1
                else 0
            end
        ) as open_cases

    from case_bounds
    inner join cases
        on
            case_bounds.account_id = cases.account_id
            and case_bounds.month_start_at > cases.created_at
    group by case_bounds.account_month_key

),

featured as (

    select
        panel.account_month_key,
        panel.account_id,
        panel.month_start,
        {{ dbt.datediff('panel.first_mrr_month', 'panel.month_start', 'month') }}
            as tenure_months,
        panel.plan,
        panel.seats,
        panel.mrr,
        panel.mrr - panel.mrr_3_months_ago as mrr_change_3_months,
        previous_usage.active_users as previous_month_active_users,
        previous_usage.events as previous_month_events,
        previous_usage.active_users
        / nullif(previous_usage.seats, 0) as previous_month_seats_used_ratio,
        ln(1 + previous_usage.active_users) - ln(1 + earlier_usage.active_users)
            as active_users_trend,
        coalesce(case_counts.cases_opened_last_90_days, 0) as cases_opened_last_90_days,
        coalesce(case_counts.cases_opened_last_3_months, 0) as cases_opened_last_3_months,
        coalesce(case_counts.open_cases, 0) as open_cases,
        panel.churns_this_month as churned_in_month,
        case
            when panel.churns_this_month then true
            when panel.next_month <= panel.as_of_month and panel.churns_next_month then true
            when
                panel.month_after_next <= panel.as_of_month and panel.churns_in_two_months
                then true
            when panel.month_after_next <= panel.as_of_month then false
        end as churned_within_3_months

    from panel
    left join account_usage_months as previous_usage
        on
            panel.account_id = previous_usage.account_id
            and panel.previous_month = previous_usage.usage_month
    left join account_usage_months as earlier_usage
        on
            panel.account_id = earlier_usage.account_id
            and panel.three_months_before = earlier_usage.usage_month
    left join case_counts on panel.account_month_key = case_counts.account_month_key

),

final as (

    select
        account_month_key as customer_month_key,
        account_id,
        month_start,
        tenure_months,
        tenure_months >= 3 as is_past_minimum_term,
        plan,
        seats,
        mrr,
        mrr_change_3_months,
        previous_month_active_users,
        previous_month_events,
        previous_month_seats_used_ratio,
        active_users_trend,
        cases_opened_last_90_days,
        cases_opened_last_3_months,
        open_cases,
        churned_in_month,
        churned_within_3_months

    from featured

)

select * from final
