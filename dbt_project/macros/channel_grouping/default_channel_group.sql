{#- GA4's default channel group of a traffic source, as Google documents it ("[GA4] Default
    channel group"): the first matching rule wins, in Google's order, else 'Unassigned'.

    default_channel_group(source, medium, campaign, source_category)
      source, medium, campaign: SQL expressions (session or ad source / medium / campaign name).
      source_category: SQL expression holding the source's category from the
        ga4_source_categories seed (SOURCE_CATEGORY_SEARCH / SHOPPING / SOCIAL / VIDEO), or null.
        Join the seed on lower(source) = ga4_source_categories.source; a caller that knows its
        platform may pass a literal instead ('SOURCE_CATEGORY_SOCIAL' for Meta).
    Matching is case-insensitive, as in GA4; a null source, medium or campaign is '(not set)'. -#}
{% macro default_channel_group(source, medium, campaign, source_category) -%}
    {%- set source = "lower(coalesce(" ~ source ~ ", '(not set)'))" -%}
    {%- set medium = "lower(coalesce(" ~ medium ~ ", '(not set)'))" -%}
    {%- set campaign = "lower(coalesce(" ~ campaign ~ ", '(not set)'))" -%}
    {%- set category = "coalesce(" ~ source_category ~ ", '')" -%}
    {%- set paid_medium = regexp_contains(medium, '^(.*cp.*|ppc|retargeting|paid.*)$') -%}
    {%- set shopping_campaign = regexp_contains(campaign, '^(.*(([^a-df-z]|^)shop|shopping).*)$') -%}
    {%- set email = "('email', 'e-mail', 'e_mail', 'e mail')" -%}
    case
        when {{ source }} = '(direct)' and {{ medium }} in ('(not set)', '(none)')
            then 'Direct'
        when {{ campaign }} like '%cross-network%'
            then 'Cross-network'
        when ({{ category }} = 'SOURCE_CATEGORY_SHOPPING' or {{ shopping_campaign }}) and {{ paid_medium }}
            then 'Paid Shopping'
        when {{ category }} = 'SOURCE_CATEGORY_SEARCH' and {{ paid_medium }}
            then 'Paid Search'
        when {{ category }} = 'SOURCE_CATEGORY_SOCIAL' and {{ paid_medium }}
            then 'Paid Social'
        when {{ category }} = 'SOURCE_CATEGORY_VIDEO' and {{ paid_medium }}
            then 'Paid Video'
        when {{ medium }} in ('display', 'banner', 'expandable', 'interstitial', 'cpm')
            then 'Display'
        when {{ paid_medium }}
            then 'Paid Other'
        when {{ category }} = 'SOURCE_CATEGORY_SHOPPING' or {{ shopping_campaign }}
            then 'Organic Shopping'
        when {{ category }} = 'SOURCE_CATEGORY_SOCIAL'
            or {{ medium }} in ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media')
            then 'Organic Social'
        when {{ category }} = 'SOURCE_CATEGORY_VIDEO' or {{ regexp_contains(medium, '^(.*video.*)$') }}
            then 'Organic Video'
        when {{ category }} = 'SOURCE_CATEGORY_SEARCH' or {{ medium }} = 'organic'
            then 'Organic Search'
        when {{ medium }} in ('referral', 'app', 'link')
            then 'Referral'
        when {{ source }} in {{ email }} or {{ medium }} in {{ email }}
            then 'Email'
        when {{ medium }} = 'affiliate'
            then 'Affiliates'
        when {{ medium }} = 'audio'
            then 'Audio'
        when {{ source }} = 'sms' or {{ medium }} = 'sms'
            then 'SMS'
        when {{ medium }} like '%push' or {{ medium }} like '%mobile%'
            or {{ medium }} like '%notification%' or {{ source }} = 'firebase'
            then 'Mobile Push Notifications'
        else 'Unassigned'
    end
{%- endmacro %}
