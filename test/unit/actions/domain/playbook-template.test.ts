import { renderTemplate, templateProblems } from '../../../../subgraphs/actions/domain/playbook-template';

const facts = { profile: { id: 'p1', traits: { firstName: '<b>Ann</b> & "co"', plan: 'pro' } }, risk: { bucket: 'high', score: 82 }, alert: {} };

describe('renderTemplate', () => {
  it.each([
    ['fills profile, risk and alert variables', 'Hi {{profile.traits.plan}} {{ risk.score }}', 'text', 'Hi pro 82'],
    ['renders a missing variable as empty', 'x{{alert.message}}y', 'text', 'xy'],
    ['escapes values in html, not the template', '<p>{{profile.traits.firstName}}</p>', 'html', '<p>&lt;b&gt;Ann&lt;/b&gt; &amp; &quot;co&quot;</p>'],
    ['leaves values unescaped in text', '{{profile.traits.firstName}}', 'text', '<b>Ann</b> & "co"'],
  ])('%s', (_name, template, mode, expected) => {
    expect(renderTemplate(template, facts, mode as 'text' | 'html')).toBe(expected);
  });
});

describe('templateProblems', () => {
  it('names variables outside profile, risk and alert', () => {
    expect(templateProblems('{{profile.traits.a}} {{process.env.SECRET}} {{constructor}}')).toHaveLength(2);
  });
});
