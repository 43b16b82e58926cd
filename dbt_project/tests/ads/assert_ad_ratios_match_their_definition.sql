-- ctr, cpc and cpm are the ratios of the row's own figures, null when the denominator is zero.
{%- set tolerance = 0.000001 %}

with

performance as (

    select * from {{ ref('fct_ad_performance_daily') }}

),

mismatched as (

    select
        date,
        platform,
        ad_id,
        ctr,
        cpc,
        cpm
    from performance
    where
        (impressions = 0 and (ctr is not null or cpm is not null))
        or (clicks = 0 and cpc is not null)
        or (impressions > 0 and abs(ctr * impressions - clicks) > {{ tolerance }})
        or (clicks > 0 and abs(cpc * clicks - spend) > {{ tolerance }})
        or (impressions > 0 and abs(cpm * impressions - spend * 1000) > {{ tolerance }})

)

select * from mismatched
