"""The site's icons, drawn inline (no icon font, no request, nothing for the CSP to refuse): 24x24 strokes
in `currentColor` for actions, filled shapes for the networks. Use `{% icon "share" %}` in templates."""

from __future__ import annotations

# ruff: noqa: E501  (SVG path data: long lines read better than split numbers)

# name -> (svg inner markup, filled?)
ICONS: dict[str, tuple[str, bool]] = {
    "menu": ('<path d="M4 7h16M4 12h16M4 17h16"/>', False),
    "share": (
        '<circle cx="18" cy="5" r="3"/><circle cx="6" cy="12" r="3"/><circle cx="18" cy="19" r="3"/>'
        '<path d="m8.6 13.5 6.8 4M15.4 6.5l-6.8 4"/>',
        False,
    ),
    "copy": ('<rect x="9" y="9" width="12" height="12" rx="2"/><path d="M5 15V5a2 2 0 0 1 2-2h10"/>', False),
    "mail": ('<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>', False),
    "calendar": ('<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4M16 3v4"/>', False),
    "switch": ('<path d="M4 8h13l-3-3M20 16H7l3 3"/>', False),
    "check": ('<path d="m5 12 5 5 9-10"/>', False),
    "pen": ('<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="m13 7 4 4"/>', False),
    "people": (
        '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20a6.5 6.5 0 0 1 13 0"/>'
        '<path d="M16 4.5a3.5 3.5 0 0 1 0 7M18 14a6.5 6.5 0 0 1 4 6"/>',
        False,
    ),
    "more": (
        '<circle cx="5" cy="12" r="1.5"/><circle cx="12" cy="12" r="1.5"/><circle cx="19" cy="12" r="1.5"/>',
        False,
    ),
    "arrow": ('<path d="M5 12h14M13 6l6 6-6 6"/>', False),
    "mastodon": (
        '<path d="M21.3 8.2c0-4.3-2.8-5.6-2.8-5.6C17 1.9 14.6 1.6 12 1.6h-.1c-2.6 0-5 .3-6.5 1'
        "C5.4 2.6 2.6 3.9 2.6 8.2c0 1-.1 2.1 0 3.3.1 4.1.7 8.1 4.5 9.1 1.7.5 3.2.5 4.5.5 2.2-.1 3.5-.8 3.5-.8"
        "l-.1-1.6s-1.6.5-3.3.4c-1.7-.1-3.6-.2-3.8-2.3v-.6s1.7.4 3.8.5c1.3.1 2.5-.1 3.7-.2 2.3-.3 4.4-1.7 4.6-3"
        ".4.4-2.1.4-4.9.4-5zM17.4 14.3h-2.4V8.6c0-1.2-.5-1.8-1.5-1.8-1.1 0-1.7.7-1.7 2.1v3.1H9.5V8.9"
        "c0-1.4-.6-2.1-1.7-2.1-1 0-1.5.6-1.5 1.8v5.7H4V8.4c0-1.2.3-2.2.9-2.9.7-.7 1.5-1.1 2.6-1.1 1.2 0 2.2.5"
        ' 2.8 1.4L12 6.8l.6-1c.6-.9 1.6-1.4 2.8-1.4 1 0 1.9.4 2.6 1.1.6.7.9 1.7.9 2.9z"/>',
        True,
    ),
    "bluesky": (
        '<path d="M5.8 3.6C8.2 5.4 10.8 9 12 11c1.2-2 3.8-5.6 6.2-7.4 1.7-1.3 4.5-2.3 4.5.9 0 .6-.4 5.3-.6 6'
        "-.7 2.6-3.3 3.2-5.6 2.8 4 .7 5.1 3 2.9 5.3-4.2 4.3-6-1.1-6.5-2.5l-.2-.5-.2.5c-.5 1.4-2.3 6.8-6.5 2.5"
        '-2.2-2.3-1.2-4.6 2.9-5.3-2.3.4-4.9-.2-5.6-2.8-.2-.7-.6-5.4-.6-6 0-3.2 2.8-2.2 4.5-.9z"/>',
        True,
    ),
    "whatsapp": (
        '<path d="M12 2a10 10 0 0 0-8.6 15l-1.4 5 5.2-1.4A10 10 0 1 0 12 2zm0 18.2a8.2 8.2 0 0 1-4.2-1.2'
        "l-.3-.2-3 .8.8-3-.2-.3A8.2 8.2 0 1 1 12 20.2zm4.5-6.1c-.2-.1-1.5-.7-1.7-.8-.2-.1-.4-.1-.6.1l-.8 1"
        "c-.1.2-.3.2-.5.1a6.7 6.7 0 0 1-3.3-2.9c-.3-.4.2-.4.7-1.4.1-.2 0-.3 0-.4l-.8-1.9c-.2-.5-.4-.4-.6-.4h-.5"
        "a1 1 0 0 0-.7.3 3 3 0 0 0-.9 2.2 5.2 5.2 0 0 0 1.1 2.8 12 12 0 0 0 4.6 4c1.7.7 2.4.8 3.2.7.5-.1 1.5-.6"
        '1.8-1.2.2-.6.2-1.1.1-1.2l-.4-.2z"/>',
        True,
    ),
    "x": (
        '<path d="M17.8 3h3.1l-6.8 7.7L22 21h-6.2l-4.9-6.4L5.3 21H2.2l7.2-8.3L1.9 3h6.4l4.4 5.8zm-1.1 16.2h1.7L7.3 4.7H5.5z"/>',
        True,
    ),
    "facebook": (
        '<path d="M22 12a10 10 0 1 0-11.6 9.9v-7H7.9V12h2.5V9.8c0-2.5 1.5-3.9 3.8-3.9 1.1 0 2.2.2 2.2.2v2.5'
        'h-1.3c-1.2 0-1.6.8-1.6 1.6V12h2.8l-.4 2.9h-2.3v7A10 10 0 0 0 22 12z"/>',
        True,
    ),
    "linkedin": (
        '<path d="M20.4 20.5h-3.6v-5.6c0-1.3 0-3-1.8-3s-2.1 1.4-2.1 2.9v5.7H9.4V9h3.4v1.6h.1c.5-.9 1.6-1.8'
        " 3.4-1.8 3.6 0 4.3 2.4 4.3 5.5zM5.3 7.4a2.1 2.1 0 1 1 0-4.1 2.1 2.1 0 0 1 0 4.1zM7.1 20.5H3.6V9h3.5z"
        'M22.2 0H1.8C.8 0 0 .8 0 1.7v20.6c0 .9.8 1.7 1.8 1.7h20.4c1 0 1.8-.8 1.8-1.7V1.7C24 .8 23.2 0 22.2 0z"/>',
        True,
    ),
    "telegram": (
        '<path d="M21.9 4.3 18.7 19.4c-.2 1-.9 1.3-1.8.8l-4.8-3.6-2.3 2.2c-.3.3-.5.5-1 .5l.3-4.9 8.9-8'
        'c.4-.3-.1-.5-.6-.2L6.4 13.1l-4.7-1.5c-1-.3-1-1 .2-1.5L20.4 3c.9-.3 1.7.2 1.5 1.3z"/>',
        True,
    ),
}


def icon_svg(name: str, css_class: str = "") -> str:
    """The inline SVG of icon `name`, hidden from screen readers (the text beside it names the action)."""
    body, filled = ICONS[name]
    classes = " ".join(c for c in ("icon", "icon-fill" if filled else "", css_class) if c)
    return (
        f'<svg class="{classes}" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">{body}</svg>'
    )
