-- fct_channel_roi_daily rolled up to calendar months (ratios recomputed from the sums).
with

daily as (

    select * from {{ ref('fct_channel_roi_daily') }}

),

monthly as (

    select
        cast({{ dbt.date_trunc("month", "date_day") }} as date) as month_start,
        attribution_model,
        channel,
        campaign,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(leads) as leads,
        sum(customers) as customers,
        sum(purchases) as purchases,
        sum(attributed_revenue) as attributed_revenue

    from daily
    group by 1, 2, 3, 4

),

final as (

    select
        {{ channel_roi_columns('month_start') }}

    from monthly

)

select * from final
