/** A rich extraction grid for tests: the study fields, then the given ones, then an outcomes × arms rows field. */
export function trialGrid(middle: object[]) {
  return {
    name: 'Trials',
    sections: [{
      title: 'Study',
      fields: [
        { label: 'Sample size', type: 'integer', required: true },
        { label: 'Design', type: 'single_choice', choices: ['RCT', 'cohort'] },
        { label: 'Blinded', type: 'boolean' },
        ...middle,
        { label: 'Outcomes', type: 'rows', columns: [{ label: 'Arm' }, { label: 'N', type: 'integer' }] }
      ]
    }]
  }
}
