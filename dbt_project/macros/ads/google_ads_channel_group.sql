{#- GA4 default channel group of a Google Ads campaign's traffic. GA4 groups auto-tagged Google
    Ads clicks by the campaign type before looking at source / medium (google / cpc):
    Performance Max → Cross-network, Shopping → Paid Shopping, Video → Paid Video, Display →
    Display; Search (and anything else) falls through to the source / medium rules. -#}
{% macro google_ads_channel_group(advertising_channel_type, campaign_name) -%}
    case {{ advertising_channel_type }}
        when 'PERFORMANCE_MAX' then 'Cross-network'
        when 'SHOPPING' then 'Paid Shopping'
        when 'VIDEO' then 'Paid Video'
        when 'DISPLAY' then 'Display'
        else {{ default_channel_group(
            "'google'", "'cpc'", campaign_name, "'SOURCE_CATEGORY_SEARCH'"
        ) }}
    end
{%- endmacro %}
