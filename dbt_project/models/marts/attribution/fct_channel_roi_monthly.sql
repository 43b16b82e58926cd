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
        {{ dbt.hash(dbt.concat([
            dbt.safe_cast("month_start", api.Column.translate_type("string")), "'|'",
            "attribution_model", "'|'", "channel", "'|'", "campaign",
        ])) }} as channel_roi_key,
        month_start,
        attribution_model,
        channel,
        campaign,
        spend,
        impressions,
        clicks,
        leads,
        customers,
        purchases,
        attributed_revenue,
        case when spend > 0 then attributed_revenue / spend end as roas,
        case when leads > 0 then spend / leads end as cpl,
        case when customers > 0 then spend / customers end as cac

    from monthly

)

select * from final
