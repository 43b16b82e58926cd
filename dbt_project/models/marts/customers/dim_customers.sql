with

accounts as (

    select * from {{ ref('stg_salesforce__accounts') }}

),

account_months as (

    select * from {{ ref('int_account_months_spined') }}

),

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

leads as (

    select * from {{ ref('stg_salesforce__leads') }}

),

subscriptions as (

    select * from {{ ref('stg_salesforce__subscriptions') }}

),

snapshot as (

    select * from {{ ref('int_crm_snapshot_dated') }}

),

subscription_ends as (

    -- null while a segment runs without an end date
    select
        account_id,
        case
            when count(*) = count(end_date) then max(end_date)
        end as last_end_date

    from subscriptions
    group by account_id

),

revenue as (

    select
        account_months.account_id,
        min(account_months.first_mrr_month) as first_mrr_month,
        max(
            case when account_months.is_active then account_months.month_start end
        ) as last_mrr_month,
        sum(
            case
                when account_months.month_start = account_months.first_mrr_month
                    then account_months.mrr
                else 0
            end
        ) as starting_mrr,
        sum(case when account_months.is_active then 1 else 0 end) as months_with_mrr,
        sum(account_months.mrr) as revenue_to_date

    from account_months
    where account_months.is_reported_month
    group by account_months.account_id

),

customers as (

    -- every account with a subscription, including one that starts after the snapshot month
    select
        account_id,
        min(first_mrr_month) as first_mrr_month

    from account_months
    group by account_id

),

current_month as (

    select
        account_months.account_id,
        account_months.plan,
        account_months.seats,
        account_months.mrr

    from account_months
    inner join snapshot on account_months.month_start = snapshot.as_of_month

),

last_plans as (

    select
        account_id,
        plan

    from account_months
    where is_reported_month and is_active
    qualify row_number() over (partition by account_id order by month_start desc) = 1

),

first_won_deals as (

    select
        account_id,
        opportunity_id,
        close_date,
        amount,
        mrr,
        lead_source,
        campaign_id

    from opportunities
    where opportunity_type = 'New Business' and is_won
    qualify
        row_number() over (
            partition by account_id order by close_date, created_at, opportunity_id
        ) = 1

),

converted_leads as (

    select
        converted_account_id as account_id,
        lead_id,
        lead_source,
        lead_form,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        ga_client_id

    from leads
    where converted_account_id is not null
    qualify
        row_number() over (
            partition by converted_account_id order by converted_date, created_at, lead_id
        ) = 1

),

final as (

    select
        customers.account_id,
        accounts.account_name,
        accounts.industry,
        accounts.employee_count,
        case
            when accounts.employee_count < 50 then '1-49'
            when accounts.employee_count < 1000 then '50-999'
            when accounts.employee_count >= 1000 then '1000+'
        end as company_size,
        accounts.billing_country as country,
        accounts.customer_since,
        customers.first_mrr_month,
        revenue.last_mrr_month,
        first_won_deals.opportunity_id as first_won_opportunity_id,
        first_won_deals.close_date as first_won_date,
        {{ crm_month_start('first_won_deals.close_date') }} as first_won_month,
        first_won_deals.amount as first_won_amount,
        first_won_deals.mrr as first_won_mrr,
        coalesce(revenue.starting_mrr, 0) as starting_mrr,
        coalesce(current_month.plan, last_plans.plan) as plan,
        coalesce(current_month.seats, 0) as current_seats,
        coalesce(current_month.mrr, 0) as current_mrr,
        case
            when customers.first_mrr_month > snapshot.as_of_month then 'pending'
            when subscription_ends.last_end_date <= snapshot.as_of_date then 'churned'
            else 'active'
        end as customer_status,
        case
            when subscription_ends.last_end_date <= snapshot.as_of_date
                then subscription_ends.last_end_date
        end as churned_at,
        coalesce(revenue.months_with_mrr, 0) as months_with_mrr,
        coalesce(revenue.revenue_to_date, 0) as revenue_to_date,
        converted_leads.lead_id as acquisition_lead_id,
        coalesce(converted_leads.lead_source, first_won_deals.lead_source)
            as acquisition_lead_source,
        converted_leads.lead_form as acquisition_lead_form,
        converted_leads.utm_source as acquisition_utm_source,
        converted_leads.utm_medium as acquisition_utm_medium,
        converted_leads.utm_campaign as acquisition_utm_campaign,
        converted_leads.utm_content as acquisition_utm_content,
        converted_leads.utm_term as acquisition_utm_term,
        converted_leads.ga_client_id as acquisition_ga_client_id,
        first_won_deals.campaign_id as acquisition_campaign_id

    from customers
    cross join snapshot
    inner join accounts on customers.account_id = accounts.account_id
    left join revenue on customers.account_id = revenue.account_id
    left join subscription_ends on customers.account_id = subscription_ends.account_id
    left join current_month on customers.account_id = current_month.account_id
    left join last_plans on customers.account_id = last_plans.account_id
    left join first_won_deals on customers.account_id = first_won_deals.account_id
    left join converted_leads on customers.account_id = converted_leads.account_id

)

select * from final
