-- Marts add spend across platforms without converting: every account must report in the
-- reporting currency (var reporting_currency). A warning, since a foreign account is a config
-- decision rather than broken data.
{{ config(severity='warn') }}

select
    platform,
    account_id,
    currency,
    count(*) as ad_days
from {{ ref('fct_ad_performance_daily') }}
where currency != '{{ var("reporting_currency") }}'
group by platform, account_id, currency
