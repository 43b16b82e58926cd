-- Delivery counts nest: clicks and reach never exceed impressions, link clicks never exceed
-- clicks, and no count or spend is negative.
select
    date,
    platform,
    ad_id,
    spend,
    impressions,
    clicks,
    link_clicks,
    reach
from {{ ref('fct_ad_performance_daily') }}
where
    spend < 0
    or impressions < 0
    or clicks < 0
    or clicks > impressions
    or link_clicks > clicks
    or reach > impressions
