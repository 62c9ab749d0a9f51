// Search boxes that suggest as they are typed (welfare.forms.SearchInput): the
// suggestions come from the box's data-suggest address, a few at a time, and go
// into its <datalist>, which the browser offers as a list (arrow keys, Enter,
// screen readers). Without this script the box is a plain text box.
const SUGGEST_DELAY_MS = 200;

function suggestAsTyped(input) {
  const list = document.getElementById(input.getAttribute("list"));
  const status = document.createElement("span");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  input.after(status);
  let timer = null;
  let asked = null;
  let pending = null;

  async function suggest() {
    const url = new URL(input.dataset.suggest, window.location.href);
    url.searchParams.set("q", input.value.trim());
    const other = input.dataset.suggestWith && input.form?.elements[input.dataset.suggestWith];
    if (other?.value) url.searchParams.set(input.dataset.suggestWith, other.value);
    if (url.href === asked) return;
    asked = url.href;
    pending?.abort();
    pending = new AbortController();
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        signal: pending.signal,
      });
      if (!response.ok) return;
      const { results } = await response.json();
      list.replaceChildren(
        ...results.map(({ value, label }) => {
          const option = document.createElement("option");
          option.value = value;
          if (label) option.label = label;
          return option;
        }),
      );
      status.textContent = input.dataset.suggestCount.replace("%s", results.length);
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    // A suggestion picked is the whole value of an option: nothing more to ask.
    if ([...list.options].some((option) => option.value === input.value)) return;
    timer = setTimeout(suggest, SUGGEST_DELAY_MS);
  });
  input.addEventListener("focus", () => {
    if (!list.options.length) suggest();
  });
}

document.querySelectorAll("input[data-suggest]").forEach(suggestAsTyped);

// The filters of a list start folded on a phone, so that the list shows first
// (templates/homehelp/filter_form.html); open on a wider screen, or with an error.
document.querySelectorAll("details[data-fold-on-phone]").forEach((details) => {
  if (window.matchMedia("(max-width: 767.98px)").matches && !details.querySelector(".is-invalid")) {
    details.open = false;
  }
});
