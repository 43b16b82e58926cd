-- Under every model the attributed revenue adds up to the revenue of all conversions, and the
-- ROI mart keeps all of it and all ad spend.
with

conversions as (

    select sum(revenue) as revenue from {{ ref('fct_conversions') }}

),

spend as (

    select sum(spend) as spend from {{ ref('fct_ad_performance_daily') }}

),

per_model as (

    select
        attribution_model,
        sum(attributed_revenue) as attributed_revenue,
        sum(spend) as spend

    from {{ ref('fct_channel_roi_daily') }}
    group by attribution_model

)

select per_model.*
from per_model
cross join conversions
cross join spend
where
    abs(per_model.attributed_revenue - conversions.revenue) > 0.01
    or abs(per_model.spend - spend.spend) > 0.01
