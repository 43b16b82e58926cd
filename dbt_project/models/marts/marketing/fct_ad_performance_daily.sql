{#- BigQuery replaces whole day partitions; DuckDB deletes and re-inserts the re-read rows.
    Either way each run re-reads the last ads_lookback_days days, so restated conversions land
    and is_provisional is recomputed for every row that may have been provisional before. -#}
{{ config(
    materialized='incremental',
    unique_key=['date', 'platform', 'ad_id'],
    incremental_strategy='insert_overwrite' if target.type == 'bigquery' else 'delete+insert',
    partition_by={'field': 'date', 'data_type': 'date'} if target.type == 'bigquery' else none,
    cluster_by=['platform', 'campaign_id'] if target.type == 'bigquery' else none,
    on_schema_change='append_new_columns',
) }}

{%- set lookback_days = var('ads_lookback_days') %}
{%- set restatement_days = [
    var('meta_restatement_days'), var('google_ads_conversion_window_days'),
] %}
{%- if lookback_days < restatement_days | max %}
    {{ exceptions.raise_compiler_error(
        'ads_lookback_days must cover the longest restatement window '
        '(meta_restatement_days, google_ads_conversion_window_days)') }}
{%- endif %}

with

performance as (

    select * from {{ ref('int_ad_performance_unioned') }}

),

latest_loaded_dates as (

    -- the newest day each platform reported; its restatement window counts back from here
    select
        platform,
        max(date_day) as latest_loaded_date
    from performance
    group by platform

),

reread as (

    select * from performance
    {% if is_incremental() %}
        -- from ads_lookback_days before the latest day of the platform furthest behind
        where
            date_day >= (
                select cast({{ dbt.dateadd('day', -lookback_days, 'min(latest_date)') }} as date)
                from (
                    select max(date) as latest_date  -- noqa: RF04
                    from {{ this }}
                    group by platform
                ) as loaded
            )
    {% endif %}

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            dbt.safe_cast("reread.date_day", api.Column.translate_type("string")), "'|'",
            "reread.platform", "'|'", "reread.ad_id",
        ])) }} as ad_performance_key,
        reread.date_day as date,  -- noqa: RF04
        reread.platform,
        reread.account_id,
        reread.ad_campaign_key,
        reread.campaign_id,
        reread.campaign_name,
        reread.ad_group_id,
        reread.ad_group_name,
        reread.ad_id,
        reread.ad_name,
        reread.channel,
        reread.currency,
        reread.spend,
        reread.impressions,
        reread.clicks,
        reread.link_clicks,
        reread.reach,
        reread.clicks / nullif(reread.impressions, 0) as ctr,
        reread.spend / nullif(reread.clicks, 0) as cpc,
        reread.spend * 1000 / nullif(reread.impressions, 0) as cpm,
        reread.platform_conversions,
        reread.platform_conversion_value,
        {{ dbt.datediff('reread.date_day', 'latest_loaded_dates.latest_loaded_date', 'day') }}
        < reread.restatement_days as is_provisional

    from reread
    inner join latest_loaded_dates on reread.platform = latest_loaded_dates.platform

)

select * from final
