import MarkdownIt from "markdown-it";
import { describe, expect, it } from "vitest";
import { taskLists } from "./taskLists";

const md = new MarkdownIt({ html: false, linkify: true, breaks: true }).use(taskLists);

describe("taskLists", () => {
  it("renders list items with [ ] and [x] as read-only checkboxes", () => {
    const html = md.render("- [ ] write it\n- [x] plan it\n- [X] ship it\n- plain");
    expect(html.match(/<input /g)).toHaveLength(3);
    expect(html).toContain(
      '<li class="task-list-item"><input class="task-checkbox" type="checkbox" disabled> write it</li>',
    );
    expect(html).toContain('type="checkbox" disabled checked> plan it');
    expect(html).toContain('type="checkbox" disabled checked> ship it');
    expect(html).toContain("<li>plain</li>");
  });

  it("keeps raw HTML escaped and touches nothing outside list items", () => {
    const html = md.render('- [ ] <img src=x onerror="alert(1)">\n\n[ ] not a list\n\n- [y] no');
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img");
    expect(html.match(/<input /g)).toHaveLength(1);
    expect(html).toContain("<p>[ ] not a list</p>");
    expect(html).toContain("<li>[y] no</li>");
  });

  it("needs the space after the brackets", () => {
    expect(md.render("- [ ]")).not.toContain("<input");
    expect(md.render("- [x]done")).not.toContain("<input");
  });
});
