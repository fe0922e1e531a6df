import { type SelectHTMLAttributes, useId } from 'react'

/**
 * A labelled select. The label is beside the select, not around it: a label that wraps a select also
 * holds its options' text, which then leaks into the label (and into lookups by label).
 */
export function SelectField({
  label,
  children,
  ...props
}: { label: string } & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'>) {
  const id = useId()
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} {...props}>
        {children}
      </select>
    </div>
  )
}
