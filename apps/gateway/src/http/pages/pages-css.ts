/**
 * The people's pages' one stylesheet. Sizes in rem so that 200 % zoom and a larger default font
 * reflow rather than overflow; a single column up to 40rem, so a phone needs no sideways scroll;
 * a thick visible focus ring on every link and control; colours with at least 4.5:1 contrast.
 */
export const PAGES_CSS = `*,*::before,*::after{box-sizing:border-box}
html{font:100%/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff;-webkit-text-size-adjust:100%}
body{margin:0;padding:0 1rem 2rem}
header,main,footer{max-width:40rem;margin:0 auto}
header{padding:1rem 0;border-bottom:1px solid #ccc}
.brand{margin:0;font-weight:700}
footer{margin-top:2rem;padding-top:1rem;border-top:1px solid #ccc;font-size:.9rem}
h1{font-size:1.75rem;line-height:1.2;margin:1.5rem 0 1rem}
h2{font-size:1.25rem;margin:2rem 0 .5rem}
a{color:#0b57a4;text-decoration-thickness:.08em;text-underline-offset:.15em}
a:visited{color:#5a2a8c}
a:focus-visible,button:focus-visible,input:focus-visible,summary:focus-visible,.table:focus-visible{outline:3px solid #d9480f;outline-offset:2px}
.skip{position:absolute;left:-999rem}
.skip:focus{position:static;display:inline-block;margin:.5rem 0}
button,.button{font:inherit;display:inline-block;min-height:2.75rem;padding:.5rem 1.25rem;border:2px solid #0b57a4;border-radius:.25rem;background:#0b57a4;color:#fff;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:#0b57a4}
button.danger{background:#a4161a;border-color:#a4161a}
input[type=password],input[type=text],input[type=email]{font:inherit;width:100%;max-width:24rem;padding:.5rem;border:2px solid #555;border-radius:.25rem}
input[type=checkbox]{width:1.25rem;height:1.25rem;margin:0 .5rem 0 0;vertical-align:middle}
fieldset{border:1px solid #bbb;border-radius:.25rem;margin:0 0 1rem;padding:.5rem 1rem 1rem}
legend{font-weight:700;padding:0 .25rem}
.hint{color:#4a4a4a;margin:.25rem 0 .5rem}
.choices{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem}
.choices label{display:inline-flex;align-items:center;min-height:2.75rem}
.notice{border-left:.35rem solid;padding:.25rem 1rem;margin:1rem 0}
.notice.ok{border-color:#1b6e20;background:#eef7ee}
.notice.error{border-color:#a4161a;background:#fbeeee}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
.table{overflow-x:auto}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:700}
dd{margin:0}
.policy{white-space:pre-wrap;overflow-wrap:anywhere}
@media (prefers-color-scheme:dark){html{color:#eee;background:#121212}a{color:#8ab4f8}a:visited{color:#c58af9}
.hint{color:#c4c4c4}.notice.ok{background:#13261a}.notice.error{background:#2a1214}
button.secondary{background:#121212;color:#8ab4f8}input[type=password],input[type=text],input[type=email]{background:#1e1e1e;color:#eee;border-color:#aaa}}
`;
